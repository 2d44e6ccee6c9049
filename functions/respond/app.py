"""HTTP API: GET /respond/{link} shows the form (changes nothing); POST records the answer."""

from __future__ import annotations

from typing import Any

from advocacy_notify.domain.answers import read_form_body
from advocacy_notify.logic.respond import Page
from advocacy_notify.observability import logger, metrics, put_metric, tracer
from advocacy_notify.render.pages import PAGE_HEADERS, error_page, not_found_page
from advocacy_notify.settings import RespondSettings
from advocacy_notify.wiring import Dependencies
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

deps = Dependencies(RespondSettings)
app = APIGatewayHttpResolver()


def _html(page: Page) -> Response[str]:
    metrics.add_metric(f"Respond_{page.outcome}", MetricUnit.Count, 1)
    return Response(
        status_code=page.status, content_type="text/html; charset=utf-8", body=page.html, headers=PAGE_HEADERS
    )


@app.get("/respond/<link>")
def form(link: str) -> Response[str]:
    return _html(deps.get().respond.show_form(link, action_url=app.current_event.raw_path))


@app.post("/respond/<link>")
def answer(link: str) -> Response[str]:
    fields = read_form_body(app.current_event.decoded_body or "")  # any size: an oversize field costs only itself
    page = deps.get().respond.submit(link, fields, action_url=app.current_event.raw_path)
    if page.outcome == "answered":
        metrics.add_dimension(name="answer", value=page.answer or "")
        metrics.add_metric("Answers", MetricUnit.Count, 1)
        if page.working_days is not None:  # its own EMF line: dimension `service` only, not `answer`
            put_metric("DaysToAnswer", page.working_days)
        if page.habitual_referral is not None:  # the habitual-referral measure: yes / (yes + no), per month
            put_metric("HabitualReferralAnswered", 1)
            put_metric("HabitualReferralYes", int(page.habitual_referral))
            # per authority (the dashboard's Logs Insights widget): a code and a 0/1, never who answered
            logger.info(
                "habitual referral answer",
                extra={"gss_code": page.gss_code, "habitual_referral_yes": int(page.habitual_referral)},
            )
    return _html(page)


@app.not_found
def no_route(exc: Exception) -> Response[str]:
    return _html(Page(404, not_found_page(deps.get().settings.help_at_hand), "not_found"))


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def unexpected(exc: Exception) -> Response[str]:
    logger.exception("respond failed")  # the page never shows exception text
    return _html(Page(500, error_page(deps.get().settings.help_at_hand), "error"))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
