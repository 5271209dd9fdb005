package dev.vaultgate.coordinator.kms;

import dev.vaultgate.coordinator.gateway.SecretSealer;
import dev.vaultgate.coordinator.wire.OperationHandler;
import dev.vaultgate.coordinator.wire.ServiceModel;
import io.vertx.sqlclient.Pool;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The KMS operations Vaultgate implements, by name; every other operation of the model is answered 501
 * NotImplementedException by the front.
 */
public final class KmsRoutes {

  /** botocore's kms 2014-11-01 model, loaded once per JVM. */
  public static final ServiceModel MODEL = ServiceModel.kms();

  private KmsRoutes() {}

  public static Map<String, OperationHandler> handlers(ServiceModel model, Pool pool, SecretSealer sealer, String region) {
    KmsOperations k = new KmsOperations(new PgKmsKeyStore(pool, sealer), region);
    Map<String, OperationHandler> m = new LinkedHashMap<>();
    m.put("CreateKey", k::createKey);
    m.put("DescribeKey", k::describeKey);
    m.put("ListKeys", k::listKeys);
    m.put("EnableKey", k::enableKey);
    m.put("DisableKey", k::disableKey);
    m.put("ScheduleKeyDeletion", k::scheduleKeyDeletion);
    m.put("CancelKeyDeletion", k::cancelKeyDeletion);
    m.put("EnableKeyRotation", k::enableKeyRotation);
    m.put("DisableKeyRotation", k::disableKeyRotation);
    m.put("GetKeyRotationStatus", k::getKeyRotationStatus);
    m.put("RotateKeyOnDemand", k::rotateKeyOnDemand);
    m.put("ListKeyRotations", k::listKeyRotations);
    m.put("CreateAlias", k::createAlias);
    m.put("DeleteAlias", k::deleteAlias);
    m.put("ListAliases", k::listAliases);
    m.put("Encrypt", k::encrypt);
    m.put("Decrypt", k::decrypt);
    m.put("GenerateDataKey", k::generateDataKey);
    m.put("GenerateDataKeyWithoutPlaintext", k::generateDataKeyWithoutPlaintext);
    for (String name : m.keySet()) model.operation(name); // each names an operation of the model
    return m;
  }
}
