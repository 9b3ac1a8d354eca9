def handler(event, context):
    user = (event.get("pathParameters") or {}).get("id", "unknown")
    return {"statusCode": 200, "body": '{"id": "%s"}' % user}
