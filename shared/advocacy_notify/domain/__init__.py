"""Pure domain logic: no boto3, no AWS, no I/O beyond the streams it is handed."""
