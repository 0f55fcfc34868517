-- wrk script: DynamoDB GetItem straight to DynamoDB Local, to compile its request path before a
-- measurement (the JVM interprets it at first). DynamoDB Local does not check signatures, so a
-- well-formed header with a dummy signature is enough. DDB_TABLE and DDB_KEY name the item.
wrk.method = "POST"
wrk.body = string.format('{"TableName":"%s","Key":{"PK":{"S":"%s"},"SK":{"S":"profile"}},"ConsistentRead":true}',
  os.getenv("DDB_TABLE"), os.getenv("DDB_KEY"))
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "DynamoDB_20120810.GetItem"
wrk.headers["X-Amz-Date"] = "20260101T000000Z"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" .. string.rep("0", 64)
