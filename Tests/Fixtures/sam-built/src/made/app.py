import json

from made import STAMP


def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"function": "Made", "stamp": STAMP})}
