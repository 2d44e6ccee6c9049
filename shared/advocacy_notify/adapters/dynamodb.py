"""DynamoDB: the case ledger, links, answers, the authority directory and staff work items.

Cases table: pk `case_id`, sk `sk` = "CASE" | "EMAIL#<stage>" | "EVENT#<time>#<n>".
"""

from __future__ import annotations

import secrets as _secrets
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from .aws import client, error_code

CASE = "CASE"


def _ser() -> Any:
    from boto3.dynamodb.types import TypeSerializer

    return TypeSerializer()


def _de() -> Any:
    from boto3.dynamodb.types import TypeDeserializer

    return TypeDeserializer()


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | set | tuple):
        return [_plain(v) for v in value]
    return value


def _dyn(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _dyn(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_dyn(v) for v in value]
    return value


def to_item(doc: dict[str, Any]) -> dict[str, Any]:
    ser = _ser()
    return {k: ser.serialize(_dyn(v)) for k, v in doc.items() if v is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    de = _de()
    return {k: _plain(de.deserialize(v)) for k, v in item.items()}


class ConditionFailed(Exception):
    pass


def put(
    table: str,
    doc: dict[str, Any],
    condition: str | None = None,
    names: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> None:
    kwargs: dict[str, Any] = {"TableName": table, "Item": to_item(doc)}
    if condition:
        kwargs["ConditionExpression"] = condition
    if names:
        kwargs["ExpressionAttributeNames"] = names
    if values:
        kwargs["ExpressionAttributeValues"] = to_item(values)
    try:
        client("dynamodb").put_item(**kwargs)
    except Exception as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            raise ConditionFailed(table) from exc
        raise


def get(table: str, key: dict[str, Any], consistent: bool = True) -> dict[str, Any] | None:
    response = client("dynamodb").get_item(TableName=table, Key=to_item(key), ConsistentRead=consistent)
    item = response.get("Item")
    return from_item(item) if item else None


def update(
    table: str,
    key: dict[str, Any],
    sets: dict[str, Any],
    *,
    condition: str | None = None,
    values: dict[str, Any] | None = None,
    removes: tuple[str, ...] = (),
    add: dict[str, int] | None = None,
) -> dict[str, Any]:
    """SET each of `sets` (None values are skipped), REMOVE `removes`, ADD `add`, under `condition`.

    Attribute names are aliased as #a0.., values as :v0..; the condition refers to names via
    `#<name>` for any name in `sets` and to its own values as `:name` from `values`.
    """
    names: dict[str, str] = {}
    vals: dict[str, Any] = {}
    parts: list[str] = []
    for i, (name, value) in enumerate(x for x in sets.items() if x[1] is not None):
        names[f"#{name}"] = name
        vals[f":s{i}"] = value
        parts.append(f"#{name} = :s{i}")
    expression = "SET " + ", ".join(parts) if parts else ""
    if add:
        adds = []
        for i, (name, amount) in enumerate(add.items()):
            names[f"#{name}"] = name
            vals[f":a{i}"] = amount
            adds.append(f"#{name} :a{i}")
        expression += " ADD " + ", ".join(adds)
    if removes:
        for name in removes:
            names[f"#{name}"] = name
        expression += " REMOVE " + ", ".join(f"#{n}" for n in removes)
    for token in (condition or "").replace("(", " ").replace(")", " ").replace(",", " ").split():
        if token.startswith("#"):
            names[token] = token[1:]
    for k, v in (values or {}).items():
        vals[f":{k}"] = v
    kwargs: dict[str, Any] = {
        "TableName": table,
        "Key": to_item(key),
        "UpdateExpression": expression.strip(),
        "ExpressionAttributeNames": names,
        "ReturnValues": "ALL_NEW",
    }
    if vals:
        kwargs["ExpressionAttributeValues"] = to_item(vals)
    if condition:
        kwargs["ConditionExpression"] = condition
    try:
        response = client("dynamodb").update_item(**kwargs)
    except Exception as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            raise ConditionFailed(table) from exc
        raise
    return from_item(response.get("Attributes", {}))


def query(
    table: str,
    key_name: str,
    key_value: Any,
    *,
    prefix: str | None = None,
    index: str | None = None,
    sort_key: str = "sk",
) -> list[dict[str, Any]]:
    kwargs: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#k = :k" + (" AND begins_with(#s, :p)" if prefix else ""),
        "ExpressionAttributeNames": {"#k": key_name, **({"#s": sort_key} if prefix else {})},
        "ExpressionAttributeValues": to_item({":k": key_value, **({":p": prefix} if prefix else {})}),
    }
    if index:
        kwargs["IndexName"] = index
    else:
        kwargs["ConsistentRead"] = True
    out: list[dict[str, Any]] = []
    paginator = client("dynamodb").get_paginator("query")
    for page in paginator.paginate(**kwargs):
        out.extend(from_item(i) for i in page.get("Items", []))
    return out


def scan(
    table: str,
    filter_expression: str | None = None,
    values: dict[str, Any] | None = None,
    names: dict[str, str] | None = None,
) -> Iterator[dict[str, Any]]:
    kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    if filter_expression:
        kwargs["FilterExpression"] = filter_expression
    if values:
        kwargs["ExpressionAttributeValues"] = to_item(values)
    if names:
        kwargs["ExpressionAttributeNames"] = names
    paginator = client("dynamodb").get_paginator("scan")
    for page in paginator.paginate(**kwargs):
        for item in page.get("Items", []):
            yield from_item(item)


def transact(items: list[dict[str, Any]]) -> None:
    """TransactWriteItems; raises ConditionFailed when a condition fails."""
    try:
        client("dynamodb").transact_write_items(TransactItems=items)
    except Exception as exc:
        if error_code(exc) in {"TransactionCanceledException", "ConditionalCheckFailedException"}:
            raise ConditionFailed("transaction") from exc
        raise


def event_sk(at_iso: str) -> str:
    return f"EVENT#{at_iso}#{_secrets.token_hex(3)}"
