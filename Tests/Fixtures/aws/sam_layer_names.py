"""Prints SAM CLI's cache directory name of each layer ARN given, one a line, computed as SAM CLI does
(`NAME-VERSION-` and the first 10 hex digits of the SHA-256 of the ARN), with Python's hashlib and not
prewarm's code.

  sam_layer_names.py ARN...
"""

import hashlib
import sys

for arn in sys.argv[1:]:
    parts = arn.split(":")
    print("%s-%s-%s" % (parts[6], parts[7], hashlib.sha256(arn.encode()).hexdigest()[:10]))
