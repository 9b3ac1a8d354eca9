import json
import os


def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"function": "ImageFunction", "stamp": os.environ.get("STAMP")})}
