-- The community inbox (issue 5): contacts, conversations, messages, and full-text search.


-- A person or account outside the organisation who writes to it. One contact can have identities
-- on several networks (merging is a later feature); each identity is one network account.
CREATE TABLE inbox_contacts (
    id         UUID PRIMARY KEY,
    org_id     UUID NOT NULL REFERENCES organisations(id),
    name       TEXT NOT NULL,
    handle     TEXT NOT NULL,
    followers  BIGINT,
    tags       TEXT NOT NULL DEFAULT '[]',   -- JSON array of tags
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    search     tsvector GENERATED ALWAYS AS (to_tsvector('simple', name || ' ' || handle)) STORED
);
CREATE INDEX inbox_contacts_org ON inbox_contacts (org_id);

CREATE TABLE inbox_contact_identities (
    org_id     UUID NOT NULL REFERENCES organisations(id),
    network    TEXT NOT NULL,
    remote_id  TEXT NOT NULL,
    contact_id UUID NOT NULL REFERENCES inbox_contacts(id),
    handle     TEXT NOT NULL,
    name       TEXT NOT NULL,
    followers  BIGINT,
    PRIMARY KEY (org_id, network, remote_id)
);
CREATE INDEX inbox_contact_identities_contact ON inbox_contact_identities (contact_id);

-- A thread: a post's comments by one author, a DM thread, or a mention thread (see
-- owlery_domain::inbox::thread_key). `remote_key` is that key, unique within the channel.
-- `first_response_due` is the deadline for the team's first answer (set once, kept for reports);
-- `next_response_due` is the deadline running now: NULL when nothing awaits a response.
CREATE TABLE inbox_conversations (
    id                  UUID PRIMARY KEY,
    workspace_id        UUID NOT NULL REFERENCES workspaces(id),
    channel_id          UUID NOT NULL REFERENCES channels(id),
    kind                TEXT NOT NULL,
    remote_key          TEXT NOT NULL,
    post_remote_id      TEXT,
    contact_id          UUID NOT NULL REFERENCES inbox_contacts(id),
    status              TEXT NOT NULL DEFAULT 'open',
    priority            TEXT NOT NULL DEFAULT 'normal',
    assignee_id         UUID REFERENCES users(id),
    team_id             UUID REFERENCES teams(id),
    -- Triage of the latest inbound message.
    language            TEXT,
    sentiment           TEXT,
    intent              TEXT,
    urgency             TEXT,
    preview             TEXT NOT NULL DEFAULT '',
    first_response_due  TIMESTAMPTZ,
    first_responded_at  TIMESTAMPTZ,
    next_response_due   TIMESTAMPTZ,
    last_message_at     TIMESTAMPTZ NOT NULL,
    last_inbound_at     TIMESTAMPTZ,
    message_count       BIGINT NOT NULL DEFAULT 0,
    unanswered_count    BIGINT NOT NULL DEFAULT 0,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    UNIQUE (channel_id, remote_key)
);
CREATE INDEX inbox_conversations_recent ON inbox_conversations (last_message_at DESC, id DESC);
CREATE INDEX inbox_conversations_status ON inbox_conversations (status, last_message_at DESC, id DESC);
CREATE INDEX inbox_conversations_workspace ON inbox_conversations (workspace_id, last_message_at DESC, id DESC);
CREATE INDEX inbox_conversations_assignee ON inbox_conversations (assignee_id, last_message_at DESC, id DESC);
CREATE INDEX inbox_conversations_due ON inbox_conversations (next_response_due);
CREATE INDEX inbox_conversations_contact ON inbox_conversations (contact_id);

CREATE TABLE inbox_conversation_tags (
    conversation_id UUID NOT NULL REFERENCES inbox_conversations(id) ON DELETE CASCADE,
    tag             TEXT NOT NULL,
    PRIMARY KEY (conversation_id, tag)
);
CREATE INDEX inbox_conversation_tags_tag ON inbox_conversation_tags (tag, conversation_id);

-- One message, inbound or outbound. (channel_id, remote_id) is the dedupe key.
CREATE TABLE inbox_messages (
    id                UUID PRIMARY KEY,
    conversation_id   UUID NOT NULL REFERENCES inbox_conversations(id),
    channel_id        UUID NOT NULL REFERENCES channels(id),
    remote_id         TEXT NOT NULL,
    direction         TEXT NOT NULL,
    kind              TEXT NOT NULL,
    author_contact_id UUID REFERENCES inbox_contacts(id),
    author_user_id    UUID REFERENCES users(id),
    text              TEXT NOT NULL,
    media             TEXT NOT NULL DEFAULT '[]',  -- JSON array of links
    url               TEXT,
    in_reply_to       TEXT,
    created_at        TIMESTAMPTZ NOT NULL,              -- on the network
    received_at       TIMESTAMPTZ NOT NULL,              -- by Owlery
    language          TEXT,
    sentiment         TEXT,
    intent            TEXT,
    urgency           TEXT,
    scores            TEXT,                       -- JSON: sentiment probabilities, intent score
    hidden_at         TIMESTAMPTZ,
    deleted_at        TIMESTAMPTZ,
    edited_at         TIMESTAMPTZ,
    UNIQUE (channel_id, remote_id),
    search            tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED
);
CREATE INDEX inbox_messages_conversation ON inbox_messages (conversation_id, created_at);
CREATE INDEX inbox_messages_author ON inbox_messages (author_contact_id);

-- Full-text search: generated tsvector columns (the 'simple' configuration: no stemming, works
-- for every language) with GIN indexes.
CREATE INDEX inbox_messages_search ON inbox_messages USING GIN (search);
CREATE INDEX inbox_contacts_search ON inbox_contacts USING GIN (search);
