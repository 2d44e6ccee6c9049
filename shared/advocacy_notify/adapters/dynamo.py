"""DynamoDB plumbing for the repositories: one table behind a client, typed values, update expressions,
conditions and transactions. Only the repositories (`adapters/*_repo.py`) use it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from .aws import error_code

_SER = TypeSerializer()
_DE = TypeDeserializer()
TransactItem = dict[str, Any]


class ConditionFailed(Exception):
    """A write's condition did not hold (the item changed meanwhile, or already exists)."""


class _Null:
    """DynamoDB's NULL, written on purpose (a None value is left out of an item, and skipped by SET)."""

    def __repr__(self) -> str:
        return "NULL"


NULL = _Null()


def nullable(value: Any) -> Any:
    """`value`, or an explicit NULL for None: for an attribute whose null is itself an answer."""
    return NULL if value is None else value


def _dyn(value: Any) -> Any:
    if value is NULL:
        return None  # TypeSerializer writes None as {"NULL": true}
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _dyn(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_dyn(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | set | tuple):
        return [_plain(v) for v in value]
    return value


def to_item(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _SER.serialize(_dyn(v)) for k, v in doc.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _plain(_DE.deserialize(v)) for k, v in item.items()}


def status_in(statuses: Iterable[str], name: str = "status") -> tuple[str, dict[str, Any]]:
    """A condition that attribute `name` is one of `statuses`, with its values (for `Table.update`)."""
    values = {f"in{i}": str(s) for i, s in enumerate(sorted(str(s) for s in statuses))}
    return f"#{name} IN ({', '.join(':' + k for k in values)})", values


class _Expression:
    """An update expression: SET the non-None `sets`, ADD `add`, REMOVE `removes`, with aliased names."""

    def __init__(
        self,
        sets: Mapping[str, Any],
        *,
        condition: str | None = None,
        values: Mapping[str, Any] | None = None,
        removes: Iterable[str] = (),
        add: Mapping[str, int] | None = None,
    ) -> None:
        names: dict[str, str] = {}
        vals: dict[str, Any] = {}
        parts: list[str] = []
        for i, (name, value) in enumerate((k, v) for k, v in sets.items() if v is not None):
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
        removed = [r for r in removes if r not in sets or sets[r] is None]
        if removed:
            names.update({f"#{n}": n for n in removed})
            expression += " REMOVE " + ", ".join(f"#{n}" for n in removed)
        names.update(_names_in(condition))
        vals.update({f":{k}": v for k, v in (values or {}).items()})
        self.kwargs: dict[str, Any] = {"UpdateExpression": expression.strip(), "ExpressionAttributeNames": names}
        if vals:
            self.kwargs["ExpressionAttributeValues"] = to_item(vals)
        if condition:
            self.kwargs["ConditionExpression"] = condition


def _names_in(expression: str | None) -> dict[str, str]:
    tokens = (expression or "").replace("(", " ").replace(")", " ").replace(",", " ").split()
    return {t: t[1:] for t in tokens if t.startswith("#")}


def _condition_kwargs(condition: str | None, values: Mapping[str, Any] | None) -> dict[str, Any]:
    """A condition naming attributes as `#name` and its values as `:name` (given in `values` without the colon)."""
    kwargs: dict[str, Any] = {}
    if condition:
        kwargs["ConditionExpression"] = condition
        if names := _names_in(condition):
            kwargs["ExpressionAttributeNames"] = names
    if values:
        kwargs["ExpressionAttributeValues"] = to_item({f":{k}": v for k, v in values.items()})
    return kwargs


class Table:
    """One DynamoDB table behind a client."""

    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.name = name

    def _call(self, method: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, method)(TableName=self.name, **kwargs)
        except Exception as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise ConditionFailed(self.name) from exc
            raise

    def put(
        self, doc: Mapping[str, Any], condition: str | None = None, values: Mapping[str, Any] | None = None
    ) -> None:
        self._call("put_item", Item=to_item(doc), **_condition_kwargs(condition, values))

    def get(self, key: Mapping[str, Any], consistent: bool = True) -> dict[str, Any] | None:
        item = self._call("get_item", Key=to_item(key), ConsistentRead=consistent).get("Item")
        return from_item(item) if item else None

    def update(
        self,
        key: Mapping[str, Any],
        sets: Mapping[str, Any],
        *,
        condition: str | None = None,
        values: Mapping[str, Any] | None = None,
        removes: Iterable[str] = (),
        add: Mapping[str, int] | None = None,
    ) -> dict[str, Any]:
        """SET `sets` (None values skipped), ADD `add`, REMOVE `removes`, under `condition` (which names
        attributes as `#name` and its own values as `:name`, from `values`). Returns the new item."""
        expr = _Expression(sets, condition=condition, values=values, removes=removes, add=add)
        response = self._call("update_item", Key=to_item(key), ReturnValues="ALL_NEW", **expr.kwargs)
        return from_item(response.get("Attributes", {}))

    def delete(self, key: Mapping[str, Any]) -> None:
        self._call("delete_item", Key=to_item(key))

    def query(
        self,
        key_name: str,
        key_value: Any,
        *,
        prefix: str | None = None,
        index: str | None = None,
        sort_key: str = "sk",
    ) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": "#k = :k" + (" AND begins_with(#s, :p)" if prefix else ""),
            "ExpressionAttributeNames": {"#k": key_name, **({"#s": sort_key} if prefix else {})},
            "ExpressionAttributeValues": to_item({":k": key_value, **({":p": prefix} if prefix else {})}),
        }
        if index:
            kwargs["IndexName"] = index
        else:
            kwargs["ConsistentRead"] = True
        out: list[dict[str, Any]] = []
        for page in self.client.get_paginator("query").paginate(**kwargs):
            out.extend(from_item(i) for i in page.get("Items", []))
        return out

    def scan(
        self,
        filter_expression: str | None = None,
        values: Mapping[str, Any] | None = None,
        names: Mapping[str, str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {"TableName": self.name, "ConsistentRead": True}
        if filter_expression:
            kwargs["FilterExpression"] = filter_expression
        if names:
            kwargs["ExpressionAttributeNames"] = dict(names)
        if values:
            kwargs["ExpressionAttributeValues"] = to_item(values)
        for page in self.client.get_paginator("scan").paginate(**kwargs):
            for item in page.get("Items", []):
                yield from_item(item)

    # ------------------------------------------------------------------ parts of a transaction
    def put_part(
        self, doc: Mapping[str, Any], condition: str | None = None, values: Mapping[str, Any] | None = None
    ) -> TransactItem:
        return {"Put": {"TableName": self.name, "Item": to_item(doc), **_condition_kwargs(condition, values)}}

    def update_part(
        self,
        key: Mapping[str, Any],
        sets: Mapping[str, Any],
        *,
        condition: str | None = None,
        values: Mapping[str, Any] | None = None,
        removes: Iterable[str] = (),
    ) -> TransactItem:
        expr = _Expression(sets, condition=condition, values=values, removes=removes)
        return {"Update": {"TableName": self.name, "Key": to_item(key), **expr.kwargs}}


def transact(client: Any, parts: list[TransactItem]) -> None:
    """TransactWriteItems: every part or none. Raises ConditionFailed when a condition fails."""
    try:
        client.transact_write_items(TransactItems=parts)
    except Exception as exc:
        if error_code(exc) in {"TransactionCanceledException", "ConditionalCheckFailedException"}:
            reasons = getattr(exc, "response", {}).get("CancellationReasons") or []
            if reasons and not any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                raise  # cancelled for another reason (a conflict, throughput): worth a retry, not a "no"
            raise ConditionFailed("transaction") from exc
        raise
