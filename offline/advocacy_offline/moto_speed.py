"""moto made fast enough for a twin of hundreds of cases, without changing what it answers.

Two costs in moto 5.2's DynamoDB grow with the whole table, so a run's cost grew with the square of its cases:

- `Table.all_items()`, under every query and scan, sorts every item through `DynamoType.__lt__`, which
  rebuilds each value's `cast_value` at every comparison. The twin sorts the same items by the same keys (a
  number key by its Decimal value, any other by its raw value, exactly as `cast_value` orders them), computed
  once per item: the same order, so the same results and pages.
- `transact_write_items` deep-copies every table it touches, to roll back if the transaction fails. The twin
  keeps a copy of just the items the transaction names (all it can change) and puts those back instead: the
  same state after a failed transaction, the same errors.

- A query looks through every item of the table (sorted, for a query on an index) for the ones with its
  partition key. The twin hands the query just those items, in the same order: the same results.

And costs per call: moto serialises every DynamoDB answer through botocore's output model, member by member
(about 10 ms an item); DynamoDB speaks plain JSON and moto's DynamoDB answers are already its wire JSON, so the
twin writes them with `json.dumps` - the same body. moto's Step Functions engine builds a new JSONPath parser
(yacc tables and all) for every path it evaluates; the twin keeps one parse per path (a parsed path is
immutable) and one parse per state machine definition. moto lists a response class's methods on every request
(kept once per class), and botocore hashes every request body for a signature moto never checks (left out).
tests/integration/test_moto_speed.py checks each answer is the same with and without these.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from unittest import mock


def _plain(key: Any) -> Any:
    return Decimal(key.value) if key.type == "N" else key.value


_partition = threading.local()  # (table, hash key) while a query on the table's own key runs


@contextmanager
def fast_moto() -> Iterator[None]:
    from moto.dynamodb.models.table import Table

    if not hasattr(Table, "all_items"):
        raise RuntimeError("moto.dynamodb.models.table.Table.all_items has moved: see moto_speed.py")

    def all_items(self: Any) -> list[Any]:
        only = getattr(_partition, "key", None)
        partitions = self.items.values()
        if only is not None and only[0] is self and only[1] is None:
            partitions = [self.items[only[2]]] if only[2] in self.items else []
        items: list[Any] = []
        for hash_set in partitions:
            if self.range_key_attr:
                items.extend(hash_set.values())
            else:
                items.append(hash_set)
        if only is not None and only[0] is self and only[1] is not None:  # an index's partition key
            attr, value = only[1], only[2]
            items = [i for i in items if (v := i.attrs.get(attr)) is not None and v.type == value.type and v == value]
        return sorted(
            items,
            key=lambda x: (_plain(x.hash_key), _plain(x.range_key)) if x.range_key else _plain(x.hash_key),
        )

    original_query = Table.query

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        if hash_key is None:
            return original_query(self, hash_key, *args, **kwargs)
        attr = None
        if index_name is not None:
            index = {i.name: i for i in self.all_indexes()}.get(index_name)
            hashes = [k["AttributeName"] for k in (index.schema if index else []) if k["KeyType"] == "HASH"]
            if len(hashes) != 1:
                return original_query(self, hash_key, *args, **kwargs)
            attr = hashes[0]
        _partition.key = (self, attr, hash_key)
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            _partition.key = None

    with (
        mock.patch.object(Table, "all_items", all_items),
        mock.patch.object(Table, "query", query),
        _item_level_rollback(),
        _plain_json_answers(),
        _one_parse_per_json_path(),
        _one_parse_per_definition(),
        _one_method_listing_per_class(),
        _unhashed_signatures(),
    ):
        yield


@contextmanager
def _one_method_listing_per_class() -> Iterator[None]:
    """moto lists a response class's methods (`inspect.getmembers`) on every request to find the action's; a
    class's methods do not change while the twin runs, so list them once per class."""
    import functools

    from moto.core import responses
    from moto.core.utils import method_names_from_class as listing

    with mock.patch.object(responses, "method_names_from_class", functools.lru_cache(maxsize=None)(listing)):
        yield


@contextmanager
def _unhashed_signatures() -> Iterator[None]:
    """SigV4 builds a canonical request (headers normalised, the body hashed) only to sign it, and moto never
    checks a signature: it reads the credential scope (access key, region, service) of the Authorization
    header, which the twin still writes as botocore does. The canonical request is left out of the signature;
    S3's X-Amz-Content-SHA256 header, which moto reads, is still the body's hash."""
    from botocore.auth import SigV4Auth

    with mock.patch.object(SigV4Auth, "canonical_request", lambda self, request: request.method):
        yield


@contextmanager
def _one_parse_per_definition() -> Iterator[None]:
    import functools

    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    parse = AmazonStateLanguageParser.parse
    with mock.patch.object(AmazonStateLanguageParser, "parse", staticmethod(functools.lru_cache(maxsize=64)(parse))):
        yield


@contextmanager
def _one_parse_per_json_path() -> Iterator[None]:
    import functools

    from moto.stepfunctions.parser.asl.utils import json_path

    if not hasattr(json_path, "parse"):
        raise RuntimeError("moto's json_path.parse has moved: see moto_speed.py")
    with mock.patch.object(json_path, "parse", functools.lru_cache(maxsize=1024)(json_path.parse)):
        yield


@contextmanager
def _plain_json_answers() -> Iterator[None]:
    from moto.dynamodb.responses import DynamoResult

    original = DynamoResult.execute_result

    def execute_result(self: Any, context: Any) -> Any:
        try:
            body = json.dumps(self.result)
        except TypeError:  # bytes, a date: what only the model-driven serialiser knows how to write
            return original(self, context)
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, body

    with mock.patch.object(DynamoResult, "execute_result", execute_result):
        yield


class _NoTableCopy:
    """moto's `copy` module as seen by transact_write_items, for one call: a table is not copied (the items the
    transaction touches are, by `_item_level_rollback`); everything else deep-copies as usual."""

    def __init__(self, table_type: type) -> None:
        self.table_type = table_type

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, self.table_type) else copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


@contextmanager
def _item_level_rollback() -> Iterator[None]:
    from moto.dynamodb import models
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    original = models.DynamoDBBackend.transact_write_items
    lock = threading.Lock()

    def key_of(table: Any, op_type: str, op: dict[str, Any]) -> tuple[Any, Any]:
        source = op["Item"] if op_type == "Put" else op["Key"]
        hash_key = DynamoType(source[table.hash_key_attr])
        range_key = DynamoType(source[table.range_key_attr]) if table.range_key_attr else None
        return hash_key, range_key

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved: list[tuple[Any, Any, Any, Any]] = []  # (table, hash key, range key, item before or None)
        for entry in transact_items:
            op_type, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            if table is None or op_type not in {"Put", "Update", "Delete", "ConditionCheck"}:
                continue
            try:
                hash_key, range_key = key_of(table, op_type, op)
            except (KeyError, TypeError, ValueError):
                continue  # a malformed part: moto refuses the whole call before changing anything
            before = table.get_item(hash_key, range_key)
            saved.append((table, hash_key, range_key, copy.deepcopy(before) if before is not None else None))
        with lock:
            real_copy = models.copy  # type: ignore[attr-defined]
            models.copy = _NoTableCopy(Table)  # type: ignore[attr-defined,assignment]
            try:
                original(self, transact_items)
            except BaseException:
                for table, hash_key, range_key, before in reversed(saved):
                    _put_back(table, hash_key, range_key, before)
                raise
            finally:
                models.copy = real_copy  # type: ignore[attr-defined]

    with mock.patch.object(models.DynamoDBBackend, "transact_write_items", transact_write_items):
        yield


def _put_back(table: Any, hash_key: Any, range_key: Any, before: Any) -> None:
    if table.range_key_attr:
        partition = table.items[hash_key]
        if before is None:
            partition.pop(range_key, None)
        else:
            partition[range_key] = before
    elif before is None:
        table.items.pop(hash_key, None)
    else:
        table.items[hash_key] = before
