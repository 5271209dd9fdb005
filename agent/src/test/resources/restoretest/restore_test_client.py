"""A user's side of a restore test, through boto3 (the 2.20.0 Java SDK and Debian's CLI lack restore testing).

Used by the gateway's restore test tests (agent and appliance) against a real coordinator:
  restore_test_client.py STEP ENDPOINT ACCESS_KEY SECRET_KEY [ARGS...]
Steps:
  notify VAULT HOOK_URL SECRET    an SNS topic on the coordinator, a webhook subscription to HOOK_URL signed with
                                  SECRET, and the vault's RESTORE_JOB_FAILED notifications to the topic
  plan NAME TYPE RESOURCE_ARN     a daily restore testing plan (03:00 UTC) and a selection of that resource
  describe JOB_ID                 the restore job as DescribeRestoreJob answers it
  cleanup NAME                    the plan's selection and the plan deleted
Each prints one JSON line.
"""
import json
import sys

import boto3
import botocore.config


def session_client(service, endpoint, key, secret):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, config=botocore.config.Config(retries={"max_attempts": 2}))


def main():
    step, endpoint, key, secret, *args = sys.argv[1:]
    b = session_client("backup", endpoint, key, secret)
    if step == "notify":
        vault, url, signing = args
        sns = session_client("sns", endpoint, key, secret)
        topic = sns.create_topic(Name="restore-tests")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=url, Attributes={"SigningSecret": signing})
        b.put_backup_vault_notifications(BackupVaultName=vault, SNSTopicArn=topic,
                                         BackupVaultEvents=["RESTORE_JOB_FAILED"])
        out = {"topicArn": topic}
    elif step == "plan":
        name, resource_type, resource = args
        plan = b.create_restore_testing_plan(RestoreTestingPlan={
            "RestoreTestingPlanName": name, "ScheduleExpression": "cron(0 3 ? * * *)",
            "ScheduleExpressionTimezone": "UTC", "StartWindowHours": 24,
            "RecoveryPointSelection": {"Algorithm": "LATEST_WITHIN_WINDOW", "IncludeVaults": ["*"],
                                       "SelectionWindowDays": 7}})
        b.create_restore_testing_selection(RestoreTestingPlanName=name, RestoreTestingSelection={
            "RestoreTestingSelectionName": "tested", "ProtectedResourceType": resource_type,
            "IamRoleArn": "arn:aws:iam::123456789012:role/restore", "ProtectedResourceArns": [resource],
            "ValidationWindowHours": 1})
        out = {"planArn": plan["RestoreTestingPlanArn"]}
    elif step == "describe":
        (job,) = args
        d = b.describe_restore_job(RestoreJobId=job)
        out = {k: d.get(k) for k in ("Status", "StatusMessage", "CreatedResourceArn", "ValidationStatus",
                                     "ValidationStatusMessage", "DeletionStatus", "DeletionStatusMessage")}
        out["RestoreTestingPlanArn"] = d.get("CreatedBy", {}).get("RestoreTestingPlanArn")
    elif step == "cleanup":
        (name,) = args
        b.delete_restore_testing_selection(RestoreTestingPlanName=name, RestoreTestingSelectionName="tested")
        b.delete_restore_testing_plan(RestoreTestingPlanName=name)
        out = {}
    else:
        print("unknown step " + step, file=sys.stderr)
        sys.exit(2)
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
