"""Products and customers: create, edit, import from CSV (all audited)."""

import sqlalchemy as sa

from ..audit import services as audit
from ..csv_import import MAX_ERRORS, ImportRefused, ImportResult, form_errors, read_rows
from ..errors import StaleRecord, ValidationError
from ..extensions import db
from ..models import Customer, Product
from .forms import CustomerForm, ProductForm

PRODUCT_FIELDS = ("sku", "name", "unit", "kind")
CUSTOMER_FIELDS = ("name", "kind", "email", "phone", "address", "country")
PRODUCT_COLUMNS = (("sku", "name", "unit"), ("kind",))
CUSTOMER_COLUMNS = (("name",), ("kind", "email", "phone", "address", "country"))


class Entity:
    """What differs between products and customers: model, fields, natural key, form."""

    def __init__(self, model, record_type, fields, key, form, columns, defaults):
        self.model, self.record_type, self.fields, self.key = model, record_type, fields, key
        self.form, self.columns, self.defaults = form, columns, defaults

    def clean(self, values: dict) -> dict:
        values = {f: values.get(f) for f in self.fields}
        if values.get("country"):
            values["country"] = values["country"].upper()
        return values

    def find(self, key_value: str, exclude_id: int | None = None):
        column = getattr(self.model, self.key)
        # SQLite's lower() folds ASCII only ("ǅ" stays "ǅ", Python gives "ǆ"): the exact
        # value is compared too, so a repeat is refused here and never hits the unique index.
        same = sa.or_(column == key_value, sa.func.lower(column) == key_value.lower())
        stmt = sa.select(self.model).where(same)
        if exclude_id:
            stmt = stmt.where(self.model.id != exclude_id)
        return db.session.scalar(stmt)


PRODUCTS = Entity(Product, "product", PRODUCT_FIELDS, "sku", ProductForm, PRODUCT_COLUMNS, {"kind": "finished"})
CUSTOMERS = Entity(Customer, "customer", CUSTOMER_FIELDS, "name", CustomerForm, CUSTOMER_COLUMNS, {"kind": "other"})


def _label(entity: Entity, record) -> str:
    return getattr(record, entity.key)


def create(entity: Entity, values: dict, actor):
    values = entity.clean(values)
    if entity.find(values[entity.key]):
        raise ValidationError(
            f"A {entity.record_type} with {entity.key} '{values[entity.key]}' already exists.",
            {entity.key: ["Already used."]},
        )
    record = entity.model(**values)
    db.session.add(record)
    db.session.flush()
    audit.record(
        "created",
        entity.record_type,
        record.id,
        label=_label(entity, record),
        changes=audit.diff({}, values),
        actor=actor,
    )
    return record


def update(entity: Entity, record, values: dict, actor, opened_version: int | None):
    if opened_version != record.version:
        raise StaleRecord(
            f"This {entity.record_type} was changed by someone else since you "
            "opened it. Reload to see the saved values."
        )
    values = entity.clean(values)
    if entity.find(values[entity.key], exclude_id=record.id):
        raise ValidationError(
            f"Another {entity.record_type} already has {entity.key} '{values[entity.key]}'.",
            {entity.key: ["Already used."]},
        )
    before = audit.snapshot(record, entity.fields)
    for key, value in values.items():
        setattr(record, key, value)
    changes = audit.diff(before, values)
    if changes:
        db.session.flush()
        audit.record(
            "updated",
            entity.record_type,
            record.id,
            label=_label(entity, record),
            changes=changes,
            actor=actor,
        )
    return changes


def import_csv(entity: Entity, stream, actor) -> ImportResult:
    """Validate every row, then create or update by natural key; all or nothing: a file with
    any bad row raises ImportRefused listing them."""
    result = ImportResult()
    required, optional = entity.columns
    rows: list[dict] = []
    seen: dict[str, int] = {}
    try:
        for line, data in read_rows(stream, required, optional):
            for name, default in entity.defaults.items():
                if not data.get(name):
                    data[name] = default
            form = entity.form(formdata=data, meta={"csrf": False})
            if not form.validate():
                result.errors.extend(e for e in form_errors(line, form) if ", version:" not in e)
            else:
                values = entity.clean({f: getattr(form, f).data for f in entity.fields})
                key = values[entity.key].lower()
                if key in seen:
                    result.errors.append(
                        f"Line {line}, {entity.key}: '{values[entity.key]}' already appears on line {seen[key]}."
                    )
                seen[key] = line
                rows.append(values)
            if len(result.errors) >= MAX_ERRORS:
                result.errors.append("Stopped after 1000 errors.")
                break
    except ValidationError as error:
        result.errors.append(error.message)
    if not rows and not result.errors:
        result.errors.append("The file has a header but no rows.")
    if result.errors:
        raise ImportRefused(result)

    column = getattr(entity.model, entity.key)
    existing = {
        getattr(r, entity.key).lower(): r
        for r in db.session.scalars(sa.select(entity.model).where(sa.func.lower(column).in_(list(seen))))
    }
    created, updated = [], []
    for values in rows:
        record = existing.get(values[entity.key].lower())
        if record is None:
            db.session.add(entity.model(**values))
            created.append(values[entity.key])
        elif any(getattr(record, f) != v for f, v in values.items()):
            for f, v in values.items():
                setattr(record, f, v)
            updated.append(values[entity.key])
    result.created, result.updated = len(created), len(updated)
    result.unchanged = len(rows) - result.created - result.updated
    if created or updated:
        db.session.flush()
        audit.record(
            "imported",
            entity.record_type,
            None,
            label=f"{len(rows)} rows",
            actor=actor,
            changes={"created": [None, created[:200]], "updated": [None, updated[:200]]},
        )
    return result
