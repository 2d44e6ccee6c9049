"""Notify: one queued case becomes one named Step Functions execution."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from ..adapters import repository as repo
from ..adapters import stepfunctions
from ..domain.cases import execution_name
from ..domain.models import CaseMessage, CaseStatus
from ..settings import Settings


def case_document(msg: CaseMessage, settings: Settings, opened_at: str) -> dict[str, Any]:
    doc = msg.model_dump(mode="json")
    doc.update(
        status=CaseStatus.QUEUED.value,
        opened_at=opened_at,
        expires_at=int(settings.clock.now().timestamp()) + settings.retention_days * 86400,
    )
    return doc


def start_case(msg: CaseMessage, settings: Settings) -> dict[str, Any]:
    """Start the case's workflow. A repeat (same case id) opens nothing and sends nothing."""
    now = settings.clock.now()
    # ingest normally claimed the case; a message replayed from elsewhere (e.g. the DLQ) may not have.
    repo.claim_case(settings.cases_table, case_document(msg, settings, repo.iso(now)))
    name = execution_name(msg.case_id)
    started = stepfunctions.start(
        settings.state_machine_arn,
        name,
        {
            "case": {"case_id": msg.case_id, "gss_code": msg.gss_code, "urn": msg.urn},
            "plan": {"next_stage": 0, "first_sent": None},
        },
    )
    if started:
        repo.update_case(
            settings.cases_table, msg.case_id, {"execution_name": name, "workflow_started_at": repo.iso(now)}
        )
        repo.add_event(settings.cases_table, msg.case_id, now, "workflow_started")
    return {"case_id": msg.case_id, "started": started}


@lru_cache(maxsize=4)
def _idempotent_starter(idempotency_table: str) -> tuple[Callable[..., Any], Any]:
    """start_case wrapped in Powertools idempotency, keyed on the case id (the business key)."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    from ..adapters.aws import client

    persistence = DynamoDBPersistenceLayer(table_name=idempotency_table, boto3_client=client("dynamodb"))
    config = IdempotencyConfig(event_key_jmespath="case_id", expires_after_seconds=7 * 86400)

    def start(case: dict[str, Any], settings: Settings) -> dict[str, Any]:
        return start_case(CaseMessage.model_validate(case), settings)

    wrapped = idempotent_function(data_keyword_argument="case", persistence_store=persistence, config=config)(start)
    return wrapped, config


def start_case_once(msg: CaseMessage, settings: Settings, context: Any = None) -> dict[str, Any]:
    """start_case, at most once per case id even if SQS delivers the message again."""
    if not settings.idempotency_table:
        return start_case(msg, settings)
    starter, config = _idempotent_starter(settings.idempotency_table)
    if context is not None:
        config.register_lambda_context(context)
    result: dict[str, Any] = starter(case=msg.model_dump(mode="json"), settings=settings)
    return result
