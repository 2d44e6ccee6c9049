"""advocacy-notify: the domain package shared by every Lambda (deployed as the Lambda layer).

`domain` is pure Python (never imports boto3); `adapters` wrap one AWS service each.
"""

__version__ = "0.1.0"
