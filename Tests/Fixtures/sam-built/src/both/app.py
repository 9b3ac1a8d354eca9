import json

import madelayer
import pwlayerdep


def handler(event, context):
    body = {"function": "BothLayers", "layers": [pwlayerdep.WORD, madelayer.STAMP]}
    return {"statusCode": 200, "body": json.dumps(body)}
