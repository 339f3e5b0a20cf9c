"""crm_reporting: read models of every topic and the reports managers decide on.

Layers (top-down):

* `domain/` (plain Python): `state` folds events into entity state so that duplicates and
  any arrival order converge (per-group versions from the envelope `sequence`, unions,
  min/max); `projections` says what each event type means as patches; `entities` says what
  each entity's current state adds to the pre-aggregated tables; `pipeline` orders stages.
* `adapters/`: the tables (`orm`), set-based load/save/delta statements (`store`), the
  per-transaction batch that writes a consumer batch in a handful of statements at commit
  (`batch`), and each customer's money kept in rank order (`customer_value`).
* `entrypoints/`: the consumer handlers (validate, add patches to the batch) and the HTTP
  routes (reports in JSON or CSV, forecast snapshots and their quality bar, rebuilds).
* `service_layer/`: forecast snapshots (scheduled job, accuracy), the rebuild (replay into a
  fresh schema from offset zero, then swap).
* `views.py`, `value.py`: the report queries, scoped in SQL to what the reader may see.
"""
