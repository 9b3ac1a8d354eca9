import json

import pwgreeting


def handler(event, context):
    body = {"function": "Requirements", "greeting": pwgreeting.GREETING, "version": pwgreeting.__version__}
    return {"statusCode": 200, "body": json.dumps(body)}
