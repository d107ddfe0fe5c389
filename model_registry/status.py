"""Where a model version stands in its lifecycle. json_schemas/index.json lists the same three
statuses (a test holds the two together); the index records one per registered version.

    registered -> ARCHIVED --promote--> ACTIVE --(another is promoted / rollback)--> ARCHIVED
                  ARCHIVED --decommission--> RETIRED   (kept in the history, never served again)
"""

ACTIVE = "active"  # the one version the service loads (a new registry has none)
ARCHIVED = "archived"  # registered and loadable; promote or rollback can make it active again
RETIRED = "retired"  # decommissioned: refused by the loaders and by promote
STATUSES = (ACTIVE, ARCHIVED, RETIRED)

# Not a registry status: an artifact the pipeline has written but nobody registered yet.
CANDIDATE = "candidate"
