-- The todo list. Ids come from an identity column, so their order is creation order.
CREATE TABLE todos (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    completed       boolean     NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- Makes a retried create (by the service, nginx or the client) return the first result, not a duplicate.
    idempotency_key text        UNIQUE CHECK (char_length(idempotency_key) BETWEEN 1 AND 100)
);
