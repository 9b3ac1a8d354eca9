from dirlayer import WORD as DIR_WORD
from shared import ORIGIN
from ziplayer import WORD as ZIP_WORD


def handler(event, context):
    # shared.py is in both layers: the later one (DirLayer) wins, as in Lambda.
    return {"function": "ZipAndDirLayers", "layers": [ZIP_WORD, DIR_WORD], "shared": ORIGIN}
