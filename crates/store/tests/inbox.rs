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

/// Automatic away on both backends: idle team members go away (also someone never seen), a
/// manual away or off shift is left alone, activity brings back only an automatic away, the
/// setting turns it off, sweeps at once change a person once, and each change is audited as the
/// system.
#[tokio::test]
async fn idle_team_members_go_away_and_activity_brings_them_back() {
    use owlery_domain::inbox::{assignment::Presence, presence::AutoAway};
    use owlery_store::users::NewUser;
    for (_db, f) in fixtures().await {
        let s = &f.store;
        let actor = Actor::cli();
        let person = |email: &str| NewUser {
            email: owlery_domain::user::Email::parse(email).unwrap(),
            name: DisplayName::parse("name", email).unwrap(),
            password_hash: Some("$argon2id$dummy".into()),
            language: "en".into(),
            time_zone: "UTC".into(),
        };
        let team = s
            .create_team(
                &actor,
                f.org,
                &DisplayName::parse("name", "Support").unwrap(),
            )
            .await
            .unwrap();
        let mut ids = Vec::new();
        for email in [
            "ana@x.test",
            "bo@x.test",
            "cy@x.test",
            "eve@x.test",
            "dee@x.test",
        ] {
            let u = s
                .create_user(&actor, f.org, person(email), &[])
                .await
                .unwrap();
            // Dee is in no team: assignment never picks her, so she is left alone.
            if email != "dee@x.test" {
                s.set_team_member(&actor, team.id, u.id, true)
                    .await
                    .unwrap();
            }
            ids.push(u.id);
        }
        let [ana, bo, cy, eve, dee] = ids[..] else {
            unreachable!()
        };
        assert_eq!(s.auto_away(f.org).await.unwrap(), AutoAway::After(15));
        s.set_presence(&actor, bo, Presence::Away, None)
            .await
            .unwrap();
        s.set_presence(&actor, cy, Presence::OffShift, None)
            .await
            .unwrap();

        f.clock.advance(Duration::minutes(10));
        let now = s.note_activity(ana).await.unwrap();
        assert_eq!((now.status, now.automatic), (Presence::Available, false));
        f.clock.advance(Duration::minutes(6));
        // Eve was never seen (no presence row): idle since she was made, 16 minutes. Ana was
        // active 6 minutes ago; Bo and Cy chose their status; Dee is in no team.
        assert_eq!(
            s.presence_idle_sweep(100).await.unwrap(),
            1,
            "{}",
            s.backend_name()
        );
        let e = s.presence(eve).await.unwrap();
        assert_eq!((e.status, e.automatic), (Presence::Away, true));
        assert_eq!(s.presence(dee).await.unwrap().status, Presence::Available);
        assert_eq!(
            s.presence_idle_sweep(100).await.unwrap(),
            0,
            "a second sweep"
        );

        f.clock.advance(Duration::minutes(10));
        assert_eq!(s.presence_idle_sweep(100).await.unwrap(), 1);
        let a = s.presence(ana).await.unwrap();
        assert_eq!((a.status, a.automatic), (Presence::Away, true));
        for (who, status) in [(bo, Presence::Away), (cy, Presence::OffShift)] {
            let p = s.presence(who).await.unwrap();
            assert_eq!((p.status, p.automatic), (status, false), "never overridden");
        }
        // Everyone's presence in one read (the pages that choose a person): the same as each
        // one's own, an automatic away with its start, and the default for the never seen.
        let all = s.org_presence(f.org).await.unwrap();
        for who in [ana, bo, cy, eve, dee] {
            assert_eq!(all.of(who), s.presence(who).await.unwrap());
        }
        assert!(all.of(ana).automatic && all.of(ana).automatic_since.is_some());
        assert_eq!(all.of(bo).automatic_since, None);
        assert_eq!(all.of(dee), owlery_store::presence::PresenceInfo::default());

        // Activity brings back an automatic away, never a manual one.
        let a = s.note_activity(ana).await.unwrap();
        assert_eq!((a.status, a.automatic), (Presence::Available, false));
        assert_eq!(s.presence(ana).await.unwrap().status, Presence::Available);
        let b = s.note_activity(bo).await.unwrap();
        assert_eq!((b.status, b.automatic), (Presence::Away, false));
        let c = s.note_activity(cy).await.unwrap();
        assert_eq!(c.status, Presence::OffShift);

        // Choosing a status clears "automatic": Eve says she is away; she stays away on activity.
        s.set_presence(&actor, eve, Presence::Away, None)
            .await
            .unwrap();
        let e = s.note_activity(eve).await.unwrap();
        assert_eq!((e.status, e.automatic), (Presence::Away, false));

        // Audited as the system, with what happened.
        let events = s.audit_events(&Default::default(), 50).await.unwrap();
        let auto: Vec<_> = events
            .iter()
            .filter(|e| e.entry.action.starts_with("presence.auto_"))
            .collect();
        assert_eq!(auto.len(), 3, "{auto:?}");
        assert!(
            auto.iter()
                .all(|e| e.entry.actor_label == "system" && e.entry.actor_id.is_none())
        );
        assert_eq!(
            auto.iter()
                .filter(|e| e.entry.action == "presence.auto_away")
                .count(),
            2
        );
        assert!(auto.iter().any(|e| e.entry.action == "presence.auto_back"
            && e.entry.target_id.as_deref() == Some(ana.to_string().as_str())));

        // Off: nobody goes away, however long.
        s.set_auto_away(&actor, f.org, AutoAway::Off).await.unwrap();
        assert_eq!(s.auto_away(f.org).await.unwrap(), AutoAway::Off);
        f.clock.advance(Duration::hours(5));
        assert_eq!(s.presence_idle_sweep(100).await.unwrap(), 0);
        let err = s
            .set_auto_away(&actor, f.org, AutoAway::After(3))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("5 to 720"), "{err}");
        assert!(
            s.audit_events(&Default::default(), 1).await.unwrap()[0]
                .entry
                .action
                == "org.auto_away"
        );

        // Two sweeps at once (two worker nodes): Ana goes away once, audited once.
        s.set_auto_away(&actor, f.org, AutoAway::After(5))
            .await
            .unwrap();
        let head = s.audit_events(&Default::default(), 1).await.unwrap()[0].seq;
        let (x, y) = tokio::join!(s.presence_idle_sweep(100), s.presence_idle_sweep(100));
        assert_eq!(x.unwrap() + y.unwrap(), 1, "{}", s.backend_name());
        let after = s.audit_events(&Default::default(), 10).await.unwrap();
        assert_eq!(after.iter().filter(|e| e.seq > head).count(), 1);
        let a = s.presence(ana).await.unwrap();
        assert_eq!((a.status, a.automatic), (Presence::Away, true));
    }
}
