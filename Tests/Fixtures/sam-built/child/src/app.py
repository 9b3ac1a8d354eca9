import json

import pwchilddep


def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"function": "Child/ChildFunction", "dep": pwchilddep.WORD})}
