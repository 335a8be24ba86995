//! The inbox store on both backends: ingest (dedupe, edits, contacts, threading, deadlines,
//! reopening), the list with filters and keyset pages, search, and changes by a person.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop here

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use owlery_domain::{
    ChannelId, Clock, ConversationId, OrgId, WorkspaceId,
    audit::Actor,
    inbox::{
        AroundTheClock, Author, Classification, ConversationStatus, InboundMessage, Intent,
        MessageKind, Priority, Sentiment, SlaState, Urgency,
    },
    org::Network,
    user::DisplayName,
};
use owlery_store::{
    Store,
    inbox::{ConversationFilter, ConversationPatch, Cursor, InboxScope, Incoming, Outcome},
    testing::all_backends,
};

#[derive(Debug)]
struct FixedClock(std::sync::Mutex<DateTime<Utc>>);

impl FixedClock {
    fn advance(&self, d: Duration) {
        *self.0.lock().unwrap() += d;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap()
}

struct Fixture {
    store: Store,
    clock: Arc<FixedClock>,
    org: OrgId,
    ws: WorkspaceId,
    other_ws: WorkspaceId,
    channel: ChannelId,
    other_channel: ChannelId,
}

async fn fixtures() -> Vec<(owlery_store::testing::TestDb, Fixture)> {
    let mut out = Vec::new();
    for db in all_backends().await.unwrap() {
        let clock = Arc::new(FixedClock(std::sync::Mutex::new(t0())));
        let store = db.store.clone().with_clock(clock.clone());
        let actor = Actor::cli();
        let org = store.ensure_organisation(&actor, "Acme").await.unwrap();
        let ws = store
            .create_workspace(&actor, org.id, &DisplayName::parse("name", "Shop").unwrap())
            .await
            .unwrap();
        let other = store
            .create_workspace(
                &actor,
                org.id,
                &DisplayName::parse("name", "Other").unwrap(),
            )
            .await
            .unwrap();
        let ch = store
            .create_channel(
                &actor,
                ws.id,
                Network::Bluesky,
                &DisplayName::parse("name", "Shop on Bluesky").unwrap(),
                "shop.bsky.social",
            )
            .await
            .unwrap();
        let och = store
            .create_channel(
                &actor,
                other.id,
                Network::Bluesky,
                &DisplayName::parse("name", "Other on Bluesky").unwrap(),
                "other.bsky.social",
            )
            .await
            .unwrap();
        let f = Fixture {
            store,
            clock,
            org: org.id,
            ws: ws.id,
            other_ws: other.id,
            channel: ch.id,
            other_channel: och.id,
        };
        out.push((db, f));
    }
    out
}

fn triage(sentiment: Sentiment, intent: Intent, language: &str) -> Classification {
    Classification {
        language: language.into(),
        sentiment,
        intent,
        urgency: Urgency::Normal,
        sentiment_scores: [0.2, 0.5, 0.3],
        intent_score: 0.7,
    }
}

#[allow(clippy::too_many_arguments)]
fn msg(
    channel: ChannelId,
    remote: &str,
    kind: MessageKind,
    author: &str,
    text: &str,
    conv: Option<&str>,
    at: DateTime<Utc>,
) -> Incoming {
    Incoming {
        message: InboundMessage {
            channel,
            remote_id: remote.into(),
            kind,
            author: Author {
                remote_id: format!("did:{author}"),
                handle: format!("{author}.bsky.social"),
                name: author.to_uppercase(),
                followers: Some(10),
            },
            text: text.into(),
            created_at: at,
            conversation_remote_id: conv.map(str::to_owned),
            in_reply_to_remote_id: None,
            media: Vec::new(),
            url: None,
        },
        triage: triage(Sentiment::Neutral, Intent::Question, "eng"),
    }
}

#[tokio::test]
async fn ingest_dedupes_threads_and_sets_deadlines() {
    for (_db, f) in fixtures().await {
        let s = &f.store;
        let policy = AroundTheClock::default();
        let ch = f.channel;
        let batch = vec![
            msg(
                ch,
                "c1",
                MessageKind::Comment,
                "ana",
                "Is it open on Sunday?",
                Some("post1"),
                t0(),
            ),
            msg(
                ch,
                "c2",
                MessageKind::Comment,
                "ana",
                "Hello?",
                Some("post1"),
                t0() + Duration::minutes(5),
            ),
            msg(
                ch,
                "c3",
                MessageKind::Comment,
                "bo",
                "Great post",
                Some("post1"),
                t0(),
            ),
            msg(
                ch,
                "d1",
                MessageKind::Dm,
                "ana",
                "Private question",
                Some("thread9"),
                t0(),
            ),
            msg(
                ch,
                "c1",
                MessageKind::Comment,
                "ana",
                "Is it open on Sunday?",
                Some("post1"),
                t0(),
            ),
            msg(
                ChannelId::new(),
                "x1",
                MessageKind::Dm,
                "zed",
                "lost",
                None,
                t0(),
            ),
        ];
        let r = s.ingest(&batch, &policy).await.unwrap();
        assert_eq!(
            r.outcomes,
            vec![
                Outcome::Imported,
                Outcome::Imported,
                Outcome::Imported,
                Outcome::Imported,
                Outcome::Duplicate,
                Outcome::UnknownChannel
            ]
        );
        assert_eq!(s.inbox_counts().await.unwrap(), (4, 3));

        // Re-ingesting adds nothing; a changed text is an edit.
        let mut again = batch[..4].to_vec();
        again[1].message.text = "Hello? Anyone?".into();
        let r = s.ingest(&again, &policy).await.unwrap();
        assert_eq!(
            r.outcomes,
            vec![
                Outcome::Duplicate,
                Outcome::Edited,
                Outcome::Duplicate,
                Outcome::Duplicate
            ]
        );
        assert_eq!(s.inbox_counts().await.unwrap(), (4, 3));

        let page = s
            .list_conversations(
                f.org,
                &InboxScope::All,
                &ConversationFilter::default(),
                None,
                50,
            )
            .await
            .unwrap();
        assert_eq!(page.items.len(), 3);
        // Newest activity first: Ana's comment thread (09:05).
        let ana = &page.items[0];
        assert_eq!(ana.kind, MessageKind::Comment);
        assert_eq!(ana.message_count, 2);
        assert_eq!(ana.contact.name, "ANA");
        assert_eq!(ana.post_remote_id.as_deref(), Some("post1"));
        assert_eq!(ana.status, ConversationStatus::Open);
        assert_eq!(ana.first_response_due, Some(t0() + Duration::hours(24)));
        assert_eq!(ana.next_response_due, Some(t0() + Duration::hours(24)));
        assert_eq!(ana.sla, SlaState::Ok);
        // Ana's DM and her comments are two conversations with one contact.
        let dm = page
            .items
            .iter()
            .find(|c| c.kind == MessageKind::Dm)
            .unwrap();
        assert_eq!(dm.contact.id, ana.contact.id);

        let detail = s
            .conversation(f.org, &InboxScope::All, ana.id)
            .await
            .unwrap();
        assert_eq!(detail.messages.len(), 2);
        assert_eq!(detail.messages[1].text, "Hello? Anyone?");
        assert!(detail.messages[1].edited_at.is_some());
        assert_eq!(detail.contact.identities.len(), 1);
        assert_eq!(detail.history.len(), 1, "the DM is in Ana's history");
        assert_eq!(detail.history[0].id, dm.id);

        // Deadlines pass.
        f.clock.advance(Duration::hours(23) + Duration::minutes(30));
        let due_soon = s
            .list_conversations(
                f.org,
                &InboxScope::All,
                &ConversationFilter {
                    sla: Some(SlaState::DueSoon),
                    ..Default::default()
                },
                None,
                50,
            )
            .await
            .unwrap();
        assert_eq!(due_soon.items.len(), 3);
        f.clock.advance(Duration::hours(1));
        let breached = s
            .list_conversations(
                f.org,
                &InboxScope::All,
                &ConversationFilter {
                    sla: Some(SlaState::Breached),
                    ..Default::default()
                },
                None,
                50,
            )
            .await
            .unwrap();
        assert_eq!(breached.items.len(), 3);
        assert!(breached.items.iter().all(|c| c.sla == SlaState::Breached));

        // Closing stops the clock; a new inbound message reopens it with a new deadline.
        let actor = Actor::cli();
        let closed = s
            .update_conversation(
                &actor,
                f.org,
                &InboxScope::All,
                ana.id,
                &ConversationPatch {
                    status: Some(ConversationStatus::Closed),
                    priority: Some(Priority::High),
                    tags: Some(vec!["VIP".into(), "shipping".into(), "vip".into()]),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(closed.status, ConversationStatus::Closed);
        assert_eq!(closed.next_response_due, None);
        assert_eq!(closed.tags, vec!["shipping".to_owned(), "vip".to_owned()]);
        let later = s.now();
        let r = s
            .ingest(
                &[msg(
                    ch,
                    "c9",
                    MessageKind::Comment,
                    "ana",
                    "Still waiting",
                    Some("post1"),
                    later,
                )],
                &policy,
            )
            .await
            .unwrap();
        assert_eq!(r.outcomes, vec![Outcome::Imported]);
        let reopened = s
            .conversation(f.org, &InboxScope::All, ana.id)
            .await
            .unwrap();
        assert_eq!(reopened.conversation.status, ConversationStatus::Open);
        assert_eq!(reopened.conversation.priority, Priority::High);
        assert_eq!(
            reopened.conversation.next_response_due,
            Some(later + Duration::hours(24))
        );
        assert_eq!(
            reopened.conversation.first_response_due,
            Some(t0() + Duration::hours(24)),
            "the first-response deadline is kept"
        );
        assert_eq!(reopened.conversation.message_count, 3);
        assert_eq!(reopened.conversation.preview, "Still waiting");
        let tagged = s
            .list_conversations(
                f.org,
                &InboxScope::All,
                &ConversationFilter {
                    tag: Some("vip".into()),
                    ..Default::default()
                },
                None,
                50,
            )
            .await
            .unwrap();
        assert_eq!(tagged.items.len(), 1);
    }
}

#[tokio::test]
async fn keyset_pages_filters_and_scope() {
    for (_db, f) in fixtures().await {
        let s = &f.store;
        let policy = AroundTheClock::default();
        let mut batch = Vec::new();
        for i in 0..25 {
            let mut m = msg(
                f.channel,
                &format!("m{i}"),
                MessageKind::Dm,
                &format!("user{i}"),
                &format!("message number {i}"),
                None,
                t0() + Duration::minutes(i64::from(i % 5)),
            );
            if i % 3 == 0 {
                m.triage = triage(Sentiment::Negative, Intent::Complaint, "bul");
            }
            batch.push(m);
        }
        batch.push(msg(
            f.other_channel,
            "o1",
            MessageKind::Mention,
            "olga",
            "Elsewhere",
            None,
            t0(),
        ));
        s.ingest(&batch, &policy).await.unwrap();

        // Pages of 10 cover everything once, in order.
        let mut seen: Vec<ConversationId> = Vec::new();
        let mut cursor: Option<Cursor> = None;
        loop {
            let page = s
                .list_conversations(
                    f.org,
                    &InboxScope::All,
                    &ConversationFilter::default(),
                    cursor,
                    10,
                )
                .await
                .unwrap();
            seen.extend(page.items.iter().map(|c| c.id));
            match page.next_cursor {
                Some(c) => cursor = Some(Cursor::parse(&c).unwrap()),
                None => break,
            }
        }
        assert_eq!(seen.len(), 26);
        let mut dedup = seen.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(dedup.len(), 26);
        assert!(Cursor::parse("nonsense").is_err());

        let negative = s
            .list_conversations(
                f.org,
                &InboxScope::All,
                &ConversationFilter {
                    sentiment: Some(Sentiment::Negative),
                    language: Some("bul".into()),
                    intent: Some(Intent::Complaint),
                    status: Some(ConversationStatus::Open),
                    assignee: Some(None),
                    network: Some("bluesky".into()),
                    workspace: Some(f.ws),
                    ..Default::default()
                },
                None,
                50,
            )
            .await
            .unwrap();
        assert_eq!(negative.items.len(), 9);

        // A person with access to the other workspace only sees its one conversation.
        let scope = InboxScope::Only {
            workspaces: vec![f.other_ws],
            channels: vec![],
        };
        let page = s
            .list_conversations(f.org, &scope, &ConversationFilter::default(), None, 50)
            .await
            .unwrap();
        assert_eq!(page.items.len(), 1);
        let hidden = seen[0];
        assert!(s.conversation(f.org, &scope, hidden).await.is_err() || page.items[0].id == hidden);
        let by_channel = InboxScope::Only {
            workspaces: vec![],
            channels: vec![f.channel],
        };
        let page = s
            .list_conversations(f.org, &by_channel, &ConversationFilter::default(), None, 50)
            .await
            .unwrap();
        assert_eq!(page.items.len(), 25);
        let nothing = InboxScope::Only {
            workspaces: vec![],
            channels: vec![],
        };
        let page = s
            .list_conversations(f.org, &nothing, &ConversationFilter::default(), None, 50)
            .await
            .unwrap();
        assert!(page.items.is_empty());
    }
}

#[tokio::test]
async fn search_messages_and_contacts_in_many_languages() {
    for (_db, f) in fixtures().await {
        let s = &f.store;
        let policy = AroundTheClock::default();
        let batch = vec![
            msg(
                f.channel,
                "b1",
                MessageKind::Comment,
                "ivan",
                "Кога ще пристигне поръчката ми?",
                Some("p1"),
                t0(),
            ),
            msg(
                f.channel,
                "g1",
                MessageKind::Comment,
                "jonas",
                "Die Lieferung über Nacht war großartig",
                Some("p1"),
                t0(),
            ),
            msg(
                f.channel,
                "e1",
                MessageKind::Dm,
                "maria",
                "¿Dónde está mi pedido?",
                None,
                t0(),
            ),
            msg(
                f.other_channel,
                "e2",
                MessageKind::Dm,
                "mario",
                "pedido perdido",
                None,
                t0(),
            ),
        ];
        s.ingest(&batch, &policy).await.unwrap();
        let r = s
            .search_inbox(f.org, &InboxScope::All, "поръчката", 20)
            .await
            .unwrap();
        assert_eq!(r.messages.len(), 1);
        assert_eq!(r.messages[0].contact_name, "IVAN");
        // Prefix of the last word.
        let r = s
            .search_inbox(f.org, &InboxScope::All, "Liefer", 20)
            .await
            .unwrap();
        assert_eq!(r.messages.len(), 1);
        let r = s
            .search_inbox(f.org, &InboxScope::All, "pedido", 20)
            .await
            .unwrap();
        assert_eq!(r.messages.len(), 2);
        let scope = InboxScope::Only {
            workspaces: vec![f.ws],
            channels: vec![],
        };
        let r = s.search_inbox(f.org, &scope, "pedido", 20).await.unwrap();
        assert_eq!(
            r.messages.len(),
            1,
            "the other workspace's message is not shown"
        );
        // Contacts by name or handle.
        let r = s
            .search_inbox(f.org, &InboxScope::All, "jonas", 20)
            .await
            .unwrap();
        assert_eq!(r.contacts.len(), 1);
        assert!(r.contacts[0].latest_conversation.is_some());
        // Query syntax is not interpreted.
        let r = s
            .search_inbox(f.org, &InboxScope::All, "\"OR* NEAR( -", 20)
            .await
            .unwrap();
        assert!(r.messages.is_empty());
        let r = s
            .search_inbox(f.org, &InboxScope::All, "   ", 20)
            .await
            .unwrap();
        assert!(r.messages.is_empty() && r.contacts.is_empty());
        if s.backend_name() == "sqlite" {
            // FTS5 folds diacritics: "uber" finds "über".
            let r = s
                .search_inbox(f.org, &InboxScope::All, "uber nacht", 20)
                .await
                .unwrap();
            assert_eq!(r.messages.len(), 1);
        }
    }
}

#[tokio::test]
async fn a_person_changes_a_conversation_with_checks_and_audit() {
    for (_db, f) in fixtures().await {
        let s = &f.store;
        s.ingest(
            &[msg(
                f.channel,
                "a",
                MessageKind::Dm,
                "ana",
                "hi",
                None,
                t0(),
            )],
            &AroundTheClock::default(),
        )
        .await
        .unwrap();
        let id = s
            .list_conversations(
                f.org,
                &InboxScope::All,
                &ConversationFilter::default(),
                None,
                5,
            )
            .await
            .unwrap()
            .items[0]
            .id;
        let actor = Actor::cli();
        let err = s
            .update_conversation(
                &actor,
                f.org,
                &InboxScope::All,
                id,
                &ConversationPatch {
                    assignee: Some(Some(owlery_domain::UserId::new())),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        assert!(err.to_string().contains("Assign"), "{err}");
        let err = s
            .update_conversation(
                &actor,
                f.org,
                &InboxScope::All,
                id,
                &ConversationPatch {
                    tags: Some(vec!["a,b".into()]),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        assert!(err.to_string().contains("tag"), "{err}");
        let scope = InboxScope::Only {
            workspaces: vec![f.other_ws],
            channels: vec![],
        };
        assert!(
            s.update_conversation(&actor, f.org, &scope, id, &ConversationPatch::default())
                .await
                .is_err(),
            "out of scope is not found"
        );
        s.update_conversation(
            &actor,
            f.org,
            &InboxScope::All,
            id,
            &ConversationPatch {
                status: Some(ConversationStatus::Pending),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let events = s
            .audit_events(&owlery_store::audit::AuditFilter::default(), 10)
            .await
            .unwrap();
        assert!(
            events
                .iter()
                .any(|e| e.entry.action == "conversation.update")
        );
        assert!(s.verify_audit_chain().await.unwrap().result.is_ok());
    }
}

/// Search reads the newest matches in windows and filters each by scope (SQLite): matches the
/// scope hides must not hide older ones it shows, and pages come out newest first. Lists over a
/// scope of several workspaces keep their order too (they are read through the recency index).
#[tokio::test]
async fn scoped_search_and_lists_look_past_what_the_scope_hides() {
    for (_db, f) in fixtures().await {
        let s = &f.store;
        let policy = AroundTheClock::default();
        // Five old matches in the other workspace, then 500 newer ones in the shop's.
        let mut batch = Vec::new();
        for i in 0..5 {
            batch.push(msg(
                f.other_channel,
                &format!("old{i}"),
                MessageKind::Dm,
                &format!("olga{i}"),
                "where is my refund",
                None,
                t0() + Duration::seconds(i),
            ));
        }
        for i in 0..500 {
            batch.push(msg(
                f.channel,
                &format!("new{i}"),
                MessageKind::Dm,
                &format!("nina{i}"),
                "refund please",
                None,
                t0() + Duration::minutes(10) + Duration::seconds(i),
            ));
        }
        s.ingest(&batch, &policy).await.unwrap();
        let other = InboxScope::Only {
            workspaces: vec![f.other_ws],
            channels: vec![],
        };
        let r = s.search_inbox(f.org, &other, "refund", 20).await.unwrap();
        assert_eq!(r.messages.len(), 5, "found below 500 newer hidden matches");
        let times: Vec<_> = r.messages.iter().map(|m| m.created_at).collect();
        let mut sorted = times.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(times, sorted, "newest first");
        let r = s
            .search_inbox(f.org, &InboxScope::All, "refund", 20)
            .await
            .unwrap();
        assert_eq!(r.messages.len(), 20);
        assert!(r.messages.iter().all(|m| m.text == "refund please"));
        // A channel-only scope (no workspace) over the same data.
        let by_channel = InboxScope::Only {
            workspaces: vec![],
            channels: vec![f.other_channel],
        };
        let r = s
            .search_inbox(f.org, &by_channel, "refund", 3)
            .await
            .unwrap();
        assert_eq!(r.messages.len(), 3);

        // Two workspaces: pages in (last activity, id) order, no repeats, nothing missed.
        let both = InboxScope::Only {
            workspaces: vec![f.ws, f.other_ws],
            channels: vec![],
        };
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = s
                .list_conversations(f.org, &both, &ConversationFilter::default(), cursor, 200)
                .await
                .unwrap();
            seen.extend(page.items.iter().map(|c| (c.last_message_at, c.id)));
            match page.next_cursor {
                Some(c) => cursor = Some(Cursor::parse(&c).unwrap()),
                None => break,
            }
        }
        assert_eq!(seen.len(), 505);
        assert!(seen.windows(2).all(|w| w[0] > w[1]), "strictly descending");
        let only_other = s
            .list_conversations(
                f.org,
                &InboxScope::All,
                &ConversationFilter {
                    language: Some("eng".into()),
                    workspace: Some(f.other_ws),
                    ..ConversationFilter::default()
                },
                None,
                50,
            )
            .await
            .unwrap();
        assert_eq!(only_other.items.len(), 5);

        // Facets come off the indexes, only for this organisation.
        let (languages, _tags) = s.inbox_facets(f.org).await.unwrap();
        assert_eq!(languages, vec!["eng".to_owned()]);
        let (languages, tags) = s.inbox_facets(OrgId::new()).await.unwrap();
        assert!(
            languages.is_empty() && tags.is_empty(),
            "{languages:?} {tags:?}"
        );
    }
}
