"""Restore testing through boto3 (the 2.20.0 Java SDK and Debian's CLI lack these operations).

Run by RestoreTestingApiTest against a test coordinator:
  restore_testing.py STEP ENDPOINT ACCESS_KEY SECRET_KEY [ARGS...]
Each step prints one JSON line with what the Java side needs and exits 1 with a message when an
expectation fails.
"""
import json
import sys

import boto3
import botocore.exceptions


def client(endpoint, key, secret):
    return boto3.client("backup", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=botocore.config.Config(retries={"max_attempts": 1}))


def expect_error(code, fn, **kwargs):
    try:
        fn(**kwargs)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        if got != code:
            fail(f"{fn.__name__}: expected {code}, got {got}: {e.response['Error'].get('Message')}")
        message = e.response["Error"].get("Message", "")
        if "\n" in message or not message:
            fail(f"{fn.__name__}: the message is not one line: {message!r}")
        return message
    fail(f"{fn.__name__}: expected {code}, but it succeeded")


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def setup(b, plan, vault_arn, vm):
    expect_error("InvalidParameterValueException", b.create_restore_testing_plan, RestoreTestingPlan={
        "RestoreTestingPlanName": plan, "ScheduleExpression": "cron(0 3 ? * * *)",
        "RecoveryPointSelection": {"Algorithm": "OLDEST_FIRST", "IncludeVaults": ["*"]}})
    expect_error("InvalidParameterValueException", b.create_restore_testing_plan, RestoreTestingPlan={
        "RestoreTestingPlanName": plan, "ScheduleExpression": "every day",
        "RecoveryPointSelection": {"Algorithm": "LATEST_WITHIN_WINDOW", "IncludeVaults": ["*"]}})
    created = b.create_restore_testing_plan(RestoreTestingPlan={
        "RestoreTestingPlanName": plan, "ScheduleExpression": "cron(0 3 ? * * *)",
        "ScheduleExpressionTimezone": "UTC", "StartWindowHours": 24,
        "RecoveryPointSelection": {"Algorithm": "RANDOM_WITHIN_WINDOW", "IncludeVaults": [vault_arn],
                                   "SelectionWindowDays": 7}})
    check(created["RestoreTestingPlanArn"].startswith("arn:aws:backup:us-east-1:"), created)
    expect_error("AlreadyExistsException", b.create_restore_testing_plan, RestoreTestingPlan={
        "RestoreTestingPlanName": plan, "ScheduleExpression": "cron(0 3 ? * * *)",
        "RecoveryPointSelection": {"Algorithm": "LATEST_WITHIN_WINDOW", "IncludeVaults": ["*"]}})
    updated = b.update_restore_testing_plan(RestoreTestingPlanName=plan, RestoreTestingPlan={
        "RecoveryPointSelection": {"Algorithm": "LATEST_WITHIN_WINDOW"}})
    check("UpdateTime" in updated, updated)
    got = b.get_restore_testing_plan(RestoreTestingPlanName=plan)["RestoreTestingPlan"]
    check(got["RecoveryPointSelection"] == {"Algorithm": "LATEST_WITHIN_WINDOW", "IncludeVaults": [vault_arn],
                                            "SelectionWindowDays": 7, "ExcludeVaults": []}, got)
    check(got["ScheduleExpression"] == "cron(0 3 ? * * *)" and got["StartWindowHours"] == 24, got)
    check(any(p["RestoreTestingPlanName"] == plan for p in b.list_restore_testing_plans()["RestoreTestingPlans"]),
          "the plan is listed")

    expect_error("ResourceNotFoundException", b.create_restore_testing_selection, RestoreTestingPlanName="no_plan",
                 RestoreTestingSelection={"RestoreTestingSelectionName": "s", "ProtectedResourceType": "VirtualMachine",
                                          "IamRoleArn": "arn:aws:iam::000000000000:role/r",
                                          "ProtectedResourceArns": ["*"]})
    expect_error("InvalidParameterValueException", b.create_restore_testing_selection, RestoreTestingPlanName=plan,
                 RestoreTestingSelection={"RestoreTestingSelectionName": "s", "ProtectedResourceType": "VirtualMachine",
                                          "IamRoleArn": "arn:aws:iam::000000000000:role/r"})
    b.create_restore_testing_selection(RestoreTestingPlanName=plan, RestoreTestingSelection={
        "RestoreTestingSelectionName": "vms", "ProtectedResourceType": "VirtualMachine",
        "IamRoleArn": "arn:aws:iam::000000000000:role/restore", "ProtectedResourceArns": [vm],
        "RestoreMetadataOverrides": {"VMName": "wrong"}, "ValidationWindowHours": 2})
    b.update_restore_testing_selection(RestoreTestingPlanName=plan, RestoreTestingSelectionName="vms",
                                       RestoreTestingSelection={"RestoreMetadataOverrides": {"VMName": "restore-test"}})
    sel = b.get_restore_testing_selection(RestoreTestingPlanName=plan, RestoreTestingSelectionName="vms")[
        "RestoreTestingSelection"]
    check(sel["RestoreMetadataOverrides"] == {"VMName": "restore-test"} and sel["ValidationWindowHours"] == 2, sel)
    listed = b.list_restore_testing_selections(RestoreTestingPlanName=plan)["RestoreTestingSelections"]
    check([s["RestoreTestingSelectionName"] for s in listed] == ["vms"], listed)
    return {"planArn": created["RestoreTestingPlanArn"]}


def describe(b, job_id):
    job = b.describe_restore_job(RestoreJobId=job_id)
    return {"status": job["Status"], "planArn": job.get("CreatedBy", {}).get("RestoreTestingPlanArn"),
            "validationStatus": job.get("ValidationStatus"), "deletionStatus": job.get("DeletionStatus"),
            "deletionStatusMessage": job.get("DeletionStatusMessage")}


def listed(b, plan_arn):
    jobs = b.list_restore_jobs(ByRestoreTestingPlanArn=plan_arn)["RestoreJobs"]
    return {"jobIds": [j["RestoreJobId"] for j in jobs],
            "planArns": sorted({j.get("CreatedBy", {}).get("RestoreTestingPlanArn") for j in jobs})}


def validate(b, job_id):
    b.put_restore_validation_result(RestoreJobId=job_id, ValidationStatus="SUCCESSFUL",
                                    ValidationStatusMessage="every chunk and the disk checksum verified")
    expect_error("InvalidParameterValueException", b.put_restore_validation_result, RestoreJobId=job_id,
                 ValidationStatus="PROBABLY_FINE")
    expect_error("ResourceNotFoundException", b.put_restore_validation_result, RestoreJobId="no-such-job",
                 ValidationStatus="SUCCESSFUL")
    return describe(b, job_id)


def inferred(b, vault, point):
    return b.get_restore_testing_inferred_metadata(BackupVaultName=vault, RecoveryPointArn=point)["InferredMetadata"]


def cleanup(b, plan):
    expect_error("InvalidRequestException", b.delete_restore_testing_plan, RestoreTestingPlanName=plan)
    b.delete_restore_testing_selection(RestoreTestingPlanName=plan, RestoreTestingSelectionName="vms")
    b.delete_restore_testing_plan(RestoreTestingPlanName=plan)
    expect_error("ResourceNotFoundException", b.get_restore_testing_plan, RestoreTestingPlanName=plan)
    return {"deleted": plan}


def main():
    step, endpoint, key, secret, *args = sys.argv[1:]
    b = client(endpoint, key, secret)
    out = {"setup": setup, "describe": describe, "validate": validate, "inferred": inferred, "listed": listed,
           "cleanup": cleanup}[step](b, *args)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
