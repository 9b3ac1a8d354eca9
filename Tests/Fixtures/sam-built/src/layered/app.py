import json
import os

import pwlayerdep


def handler(event, context):
    body = {
        "function": "LayerDeps",
        "dep": pwlayerdep.WORD,
        "from": os.path.dirname(os.path.dirname(pwlayerdep.__file__)),
    }
    return {"statusCode": 200, "body": json.dumps(body)}
