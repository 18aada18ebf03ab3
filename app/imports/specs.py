"""What each bulk CSV file holds: its columns, their rules, and the natural key of a row.

The files follow what ERP systems export, in the spirit of the FSMA 204 key data elements:
the traceability lot code, the product, the quantity and unit, the dates, where it was made,
what went into it, and who received it under which shipping document.

lots        lot_code*, product_sku*, kind*, quantity*, unit*, produced_on*, expires_on, site, line
genealogy   input_lot_code*, output_lot_code*, quantity
shipments   lot_code*, consignee*, quantity*, shipped_on*, reference*
(* required). Other columns are ignored, so an ERP export can be imported as it is.
"""

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from ..models import LOT_KINDS
from . import fields

Values = dict[str, Any]


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    parse: fields.Parser
    rule: str  # shown on the upload page and in the README


@dataclass(frozen=True)
class Spec:
    kind: str
    title: str
    record_type: str  # the audit event's record type
    columns: tuple[Column, ...]
    # The natural key, for duplicates within a file: one string (NUL-joined, NUL never gets past
    # the reader) because a million tuples of strings would cost twice the memory.
    key: Callable[[Values], Hashable]
    describe_key: Callable[[Values], str]
    check: Callable[[Values], list[tuple[str, str]]]  # rules across columns: [(column, message)]
    matched_on: tuple[str, ...]  # the natural key columns

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def optional(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if not c.required)


def _check_lot(values: Values) -> list[tuple[str, str]]:
    expires, produced = values.get("expires_on"), values.get("produced_on")
    if expires is not None and produced is not None and expires < produced:
        return [("expires_on", f"Must not be before produced_on ({produced.isoformat()}).")]
    return []


def _check_edge(values: Values) -> list[tuple[str, str]]:
    if values["input_lot_code"] == values["output_lot_code"]:
        return [("output_lot_code", "A lot cannot be made from itself.")]
    return []


def _no_check(values: Values) -> list[tuple[str, str]]:
    return []


LOTS = Spec(
    kind="lots",
    title="Lots",
    record_type="lot",
    columns=(
        Column("lot_code", True, fields.code(64), "traceability lot code, at most 64 characters, no spaces"),
        Column("product_sku", True, fields.code(64), "SKU of an existing product"),
        Column("kind", True, fields.choice(tuple(LOT_KINDS)), "raw, intermediate or finished"),
        Column("quantity", True, fields.quantity(), "number ≥ 0, at most 3 decimals"),
        Column("unit", True, fields.text(20), "for example kg, case; at most 20 characters"),
        Column("produced_on", True, fields.iso_date, "date YYYY-MM-DD"),
        Column("expires_on", False, fields.iso_date, "date YYYY-MM-DD, not before produced_on"),
        Column("site", False, fields.text(100), "plant or location, at most 100 characters"),
        Column("line", False, fields.text(50), "production line, at most 50 characters"),
    ),
    key=lambda v: v["lot_code"],
    describe_key=lambda v: f"lot {v['lot_code']}",
    check=_check_lot,
    matched_on=("lot_code",),
)

GENEALOGY = Spec(
    kind="genealogy",
    title="Genealogy",
    record_type="lot_input",
    columns=(
        Column("input_lot_code", True, fields.code(64), "lot consumed (must exist)"),
        Column("output_lot_code", True, fields.code(64), "lot made from it (must exist, not the input)"),
        Column("quantity", False, fields.quantity(), "quantity of the input used, ≥ 0"),
    ),
    key=lambda v: f"{v['input_lot_code']}\x00{v['output_lot_code']}",
    describe_key=lambda v: f"{v['input_lot_code']} -> {v['output_lot_code']}",
    check=_check_edge,
    matched_on=("input_lot_code", "output_lot_code"),
)

SHIPMENTS = Spec(
    kind="shipments",
    title="Shipments",
    record_type="shipment",
    columns=(
        Column("lot_code", True, fields.code(64), "lot shipped (must exist)"),
        Column("consignee", True, fields.text(200), "name of an existing customer (any case)"),
        Column("quantity", True, fields.quantity(positive=True), "number > 0, at most 3 decimals"),
        Column("shipped_on", True, fields.iso_date, "date YYYY-MM-DD"),
        Column("reference", True, fields.text(64), "invoice, delivery note or bill of lading number"),
    ),
    key=lambda v: f"{v['reference']}\x00{v['lot_code']}\x00{v['consignee'].casefold()}",
    describe_key=lambda v: f"lot {v['lot_code']} to {v['consignee']} on {v['reference']}",
    check=_no_check,
    matched_on=("reference", "lot_code", "consignee"),
)

SPECS: dict[str, Spec] = {spec.kind: spec for spec in (LOTS, GENEALOGY, SHIPMENTS)}
