//! `owlery serve --demo`: a living demo organisation, Northwind Coffee, with a month of history.
//!
//! Seeded only into an empty database. The data is the tables right below; [`seed`] turns them
//! into a timeline (workspaces, channel connections, invitations, setups, sign-ins, teams,
//! tokens, later changes) spread over the last 30 days and replays it through the ordinary store
//! calls with an injected clock, so every event carries its past time and the audit hash chain is
//! the same as if it had all happened for real. The sequence is deterministic (a fixed seed);
//! only the dates move with today.
//!
//! The owner is created without a password: the printed one-time setup link (`/setup/<secret>`)
//! is how the person trying the demo signs in. Everyone else shares one random password printed
//! once, when the demo is created, so that other roles can be tried too.

use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};
use owlery_domain::{
    ChannelId, Clock, Grant, Permission, Role, Scope, UserId, WorkspaceId,
    audit::{Actor, chain_time},
    org::Network,
    token::{parse_expiry, parse_scopes},
    user::{DisplayName, Email, UserStatus},
};
use owlery_domain::{
    post::{self, Content, Overrides},
    publishing::approval::{Approvers, Step as WorkflowStep, Verdict, Workflow},
    spec::{Severity, Specs, validate},
};
use owlery_jobs::publish::simulated_ref;
use owlery_store::{
    Store,
    posts::{NewPost, Validation, VariantInput},
    publishing::Claim,
    reviews::Decider,
    sessions::LinkPurpose,
    users::NewUser,
};
use rand::{Rng, SeedableRng, rngs::StdRng};

pub const ORG_NAME: &str = "Northwind Coffee";

/// How long the printed owner link stays valid.
const OWNER_LINK_HOURS: i64 = 24;

/// How far back the history goes.
const HISTORY_DAYS: i64 = 30;

/// Workspaces: (key used in the tables below, name).
const WORKSPACES: &[(&str, &str)] = &[
    ("global", "Northwind Global"),
    ("europe", "Northwind Europe"),
    ("americas", "Northwind Americas"),
    ("apac", "Northwind Asia-Pacific"),
];

/// Channels: (workspace key, name, handle, network). All are simulated (`channels.simulated`):
/// what the demo publishes stays on this machine.
const CHANNELS: &[(&str, &str, &str, Network)] = &[
    (
        "global",
        "Northwind Coffee",
        "northwindcoffee",
        Network::Instagram,
    ),
    ("global", "Northwind Newsroom", "northwind_news", Network::X),
    (
        "global",
        "Northwind Careers",
        "northwind_careers",
        Network::Linkedin,
    ),
    ("global", "Northwind Support", "northwind_help", Network::X),
    (
        "global",
        "Northwind Sustainability",
        "northwind_green",
        Network::Bluesky,
    ),
    (
        "global",
        "Northwind Rewards",
        "northwind_rewards",
        Network::FacebookPage,
    ),
    ("global", "Northwind TV", "northwind_tv", Network::Youtube),
    (
        "global",
        "Northwind Investors",
        "northwind_ir",
        Network::Linkedin,
    ),
    ("europe", "Northwind UK", "northwind_uk", Network::X),
    (
        "europe",
        "Northwind Deutschland",
        "northwind_de",
        Network::FacebookPage,
    ),
    (
        "europe",
        "Northwind France",
        "northwind_fr",
        Network::Instagram,
    ),
    ("europe", "Northwind España", "northwind_es", Network::X),
    (
        "europe",
        "Northwind Italia",
        "northwind_it",
        Network::FacebookPage,
    ),
    (
        "europe",
        "Northwind България",
        "northwind_bg",
        Network::FacebookPage,
    ),
    (
        "europe",
        "Northwind Nederland",
        "northwind_nl",
        Network::Mastodon,
    ),
    (
        "europe",
        "Northwind Polska",
        "northwind_pl",
        Network::Linkedin,
    ),
    (
        "europe",
        "Northwind Nordics",
        "northwind_nordics",
        Network::Bluesky,
    ),
    ("americas", "Northwind USA", "northwind_us", Network::X),
    (
        "americas",
        "Northwind Support US",
        "northwind_help_us",
        Network::X,
    ),
    (
        "americas",
        "Northwind NYC Flagship",
        "northwind_nyc",
        Network::Instagram,
    ),
    (
        "americas",
        "Northwind Los Angeles",
        "northwind_la",
        Network::Threads,
    ),
    (
        "americas",
        "Northwind Canada",
        "northwind_ca",
        Network::FacebookPage,
    ),
    (
        "americas",
        "Northwind México",
        "northwind_mx",
        Network::FacebookPage,
    ),
    (
        "americas",
        "Northwind Brasil",
        "northwind_br",
        Network::Instagram,
    ),
    (
        "apac",
        "Northwind Singapore",
        "northwind_sg",
        Network::Linkedin,
    ),
    ("apac", "Northwind Japan", "northwind_jp", Network::X),
    (
        "apac",
        "Northwind Australia",
        "northwind_au",
        Network::Instagram,
    ),
    ("apac", "Northwind Korea", "northwind_kr", Network::Threads),
    ("apac", "Northwind India", "northwind_in", Network::Linkedin),
    (
        "apac",
        "Northwind Support APAC",
        "northwind_help_apac",
        Network::Mastodon,
    ),
];

/// Where a demo grant applies: the organisation, a workspace key, or a channel handle.
#[derive(Debug, Clone, Copy)]
enum At {
    Org,
    Ws(&'static str),
    Ch(&'static str),
}

/// What became of a person by today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// Set their password and works here.
    Active,
    /// Invited, has not set a password yet.
    StillInvited,
    /// Left; disabled by an admin on this day.
    DisabledOnDay(i64),
}

struct Person {
    email: &'static str,
    name: &'static str,
    time_zone: &'static str,
    language: &'static str,
    grants: &'static [(Role, At)],
    /// Who invited them (an e-mail above them in the table); `None` for the owner, who was
    /// created with `owlery admin create-user`.
    invited_by: Option<&'static str>,
    /// The day of the month of history on which they were invited (0 = 30 days ago).
    invited_on_day: i64,
    /// How likely they are to sign in on a working day.
    signin_rate: f64,
    fate: Fate,
}

/// The people. The first is the owner, who signs in through the printed setup link.
const PEOPLE: &[Person] = &[
    Person {
        email: "mira.kostova@northwind-coffee.example",
        name: "Mira Kostova",
        time_zone: "Europe/Sofia",
        language: "en",
        grants: &[(Role::Owner, At::Org)],
        invited_by: None,
        invited_on_day: 0,
        signin_rate: 0.0,
        fate: Fate::StillInvited,
    },
    Person {
        email: "jonas.weber@northwind-coffee.example",
        name: "Jonas Weber",
        time_zone: "Europe/Berlin",
        language: "en",
        grants: &[(Role::Admin, At::Org)],
        invited_by: Some("mira.kostova@northwind-coffee.example"),
        invited_on_day: 0,
        signin_rate: 0.9,
        fate: Fate::Active,
    },
    Person {
        email: "priya.nair@northwind-coffee.example",
        name: "Priya Nair",
        time_zone: "Asia/Singapore",
        language: "en",
        grants: &[(Role::Admin, At::Ws("apac"))],
        invited_by: Some("mira.kostova@northwind-coffee.example"),
        invited_on_day: 1,
        signin_rate: 0.8,
        fate: Fate::Active,
    },
    Person {
        email: "georgi.dimitrov@northwind-coffee.example",
        name: "Георги Димитров",
        time_zone: "Europe/Sofia",
        language: "bg",
        grants: &[(Role::Publisher, At::Ws("europe"))],
        invited_by: Some("jonas.weber@northwind-coffee.example"),
        invited_on_day: 2,
        signin_rate: 0.85,
        fate: Fate::Active,
    },
    Person {
        email: "emily.carter@northwind-coffee.example",
        name: "Emily Carter",
        time_zone: "America/New_York",
        language: "en",
        grants: &[(Role::Publisher, At::Ws("americas"))],
        invited_by: Some("mira.kostova@northwind-coffee.example"),
        invited_on_day: 2,
        signin_rate: 0.85,
        fate: Fate::Active,
    },
    Person {
        email: "lucas.moreau@northwind-coffee.example",
        name: "Lucas Moreau",
        time_zone: "Europe/Paris",
        language: "en",
        grants: &[(Role::Contributor, At::Ws("europe"))],
        invited_by: Some("jonas.weber@northwind-coffee.example"),
        invited_on_day: 3,
        signin_rate: 0.6,
        fate: Fate::Active,
    },
    Person {
        email: "aiko.tanaka@northwind-coffee.example",
        name: "Aiko Tanaka",
        time_zone: "Asia/Tokyo",
        language: "en",
        grants: &[(Role::Contributor, At::Ch("northwind_jp"))],
        invited_by: Some("jonas.weber@northwind-coffee.example"),
        invited_on_day: 4,
        signin_rate: 0.5,
        fate: Fate::Active,
    },
    Person {
        email: "daniel.okafor@northwind-coffee.example",
        name: "Daniel Okafor",
        time_zone: "Europe/London",
        language: "en",
        grants: &[(Role::Approver, At::Org)],
        invited_by: Some("mira.kostova@northwind-coffee.example"),
        invited_on_day: 3,
        signin_rate: 0.7,
        fate: Fate::Active,
    },
    Person {
        email: "elena.petrova@northwind-coffee.example",
        name: "Елена Петрова",
        time_zone: "Europe/Sofia",
        language: "bg",
        grants: &[
            (Role::CommunityAgent, At::Ws("europe")),
            (Role::CommunityAgent, At::Ch("northwind_help")),
        ],
        invited_by: Some("jonas.weber@northwind-coffee.example"),
        invited_on_day: 5,
        signin_rate: 0.95,
        fate: Fate::Active,
    },
    Person {
        email: "marcus.lee@northwind-coffee.example",
        name: "Marcus Lee",
        time_zone: "America/Los_Angeles",
        language: "en",
        grants: &[
            (Role::CommunityAgent, At::Ch("northwind_help_us")),
            (Role::CommunityAgent, At::Ch("northwind_us")),
        ],
        invited_by: Some("jonas.weber@northwind-coffee.example"),
        invited_on_day: 5,
        signin_rate: 0.9,
        fate: Fate::Active,
    },
    Person {
        email: "sophie.tan@northwind-coffee.example",
        name: "Sophie Tan",
        time_zone: "Asia/Singapore",
        language: "en",
        grants: &[(Role::CommunityAgent, At::Ws("apac"))],
        invited_by: Some("jonas.weber@northwind-coffee.example"),
        invited_on_day: 6,
        signin_rate: 0.9,
        fate: Fate::Active,
    },
    Person {
        email: "ivan.georgiev@northwind-coffee.example",
        name: "Иван Георгиев",
        time_zone: "Europe/Sofia",
        language: "bg",
        grants: &[(Role::Analyst, At::Org)],
        invited_by: Some("mira.kostova@northwind-coffee.example"),
        invited_on_day: 4,
        signin_rate: 0.5,
        fate: Fate::Active,
    },
    Person {
        email: "rachel.kim@northwind-coffee.example",
        name: "Rachel Kim",
        time_zone: "America/New_York",
        language: "en",
        grants: &[(Role::Auditor, At::Org)],
        invited_by: Some("mira.kostova@northwind-coffee.example"),
        invited_on_day: 8,
        signin_rate: 0.3,
        fate: Fate::Active,
    },
    Person {
        email: "tom.fischer@northwind-coffee.example",
        name: "Tom Fischer",
        time_zone: "Europe/Berlin",
        language: "en",
        grants: &[(Role::Publisher, At::Ws("global"))],
        invited_by: Some("jonas.weber@northwind-coffee.example"),
        invited_on_day: 2,
        signin_rate: 0.7,
        fate: Fate::DisabledOnDay(19),
    },
    Person {
        email: "noah.williams@northwind-coffee.example",
        name: "Noah Williams",
        time_zone: "America/Los_Angeles",
        language: "en",
        grants: &[(Role::Contributor, At::Ws("americas"))],
        invited_by: Some("emily.carter@northwind-coffee.example"),
        invited_on_day: 27,
        signin_rate: 0.0,
        fate: Fate::StillInvited,
    },
];

/// The day the teams are set up, once everyone in them has joined.
const TEAMS_DAY: i64 = 9;

/// The office hours' time zone of the teams that answer the inbox (weekdays 08:00–18:00).
const CARE_HOURS: [(&str, &str); 2] = [
    ("Community care EMEA", "Europe/Sofia"),
    ("Community care Americas", "America/Los_Angeles"),
];

/// Teams: (name, members by e-mail).
const TEAMS: &[(&str, &[&str])] = &[
    (
        "Community care EMEA",
        &[
            "elena.petrova@northwind-coffee.example",
            "georgi.dimitrov@northwind-coffee.example",
        ],
    ),
    (
        "Community care Americas",
        &[
            "marcus.lee@northwind-coffee.example",
            "emily.carter@northwind-coffee.example",
        ],
    ),
    (
        "Community care APAC",
        &[
            "sophie.tan@northwind-coffee.example",
            "priya.nair@northwind-coffee.example",
        ],
    ),
    (
        "Content studio",
        &[
            "georgi.dimitrov@northwind-coffee.example",
            "emily.carter@northwind-coffee.example",
            "lucas.moreau@northwind-coffee.example",
            "aiko.tanaka@northwind-coffee.example",
        ],
    ),
    (
        "Brand & compliance",
        &[
            "daniel.okafor@northwind-coffee.example",
            "rachel.kim@northwind-coffee.example",
            "jonas.weber@northwind-coffee.example",
        ],
    ),
];

struct DemoToken {
    owner: &'static str,
    name: &'static str,
    /// Empty: the owner's own permissions.
    scopes: &'static [&'static str],
    expires_in_days: i64,
    created_on_day: i64,
    revoked_on_day: Option<i64>,
}

const TOKENS: &[DemoToken] = &[
    DemoToken {
        owner: "ivan.georgiev@northwind-coffee.example",
        name: "Looker Studio export",
        scopes: &["analytics:read"],
        expires_in_days: 90,
        created_on_day: 9,
        revoked_on_day: None,
    },
    DemoToken {
        owner: "rachel.kim@northwind-coffee.example",
        name: "SIEM audit feed",
        scopes: &["audit:read"],
        expires_in_days: 366,
        created_on_day: 10,
        revoked_on_day: None,
    },
    DemoToken {
        owner: "jonas.weber@northwind-coffee.example",
        name: "HR provisioning script",
        scopes: &["users:read", "users:manage"],
        expires_in_days: 30,
        created_on_day: 11,
        revoked_on_day: Some(24),
    },
    DemoToken {
        owner: "jonas.weber@northwind-coffee.example",
        name: "HR provisioning script v2",
        scopes: &["users:read", "users:manage"],
        expires_in_days: 180,
        created_on_day: 24,
        revoked_on_day: None,
    },
    DemoToken {
        owner: "emily.carter@northwind-coffee.example",
        name: "Campaign planner",
        scopes: &[],
        expires_in_days: 60,
        created_on_day: 16,
        revoked_on_day: None,
    },
];

/// Role changes after people joined: (day, granted by, granted to, role, where).
const LATER_GRANTS: &[(i64, &str, &str, Role, At)] = &[
    (
        14,
        "jonas.weber@northwind-coffee.example",
        "emily.carter@northwind-coffee.example",
        Role::Approver,
        At::Ws("americas"),
    ),
    (
        17,
        "jonas.weber@northwind-coffee.example",
        "sophie.tan@northwind-coffee.example",
        Role::Publisher,
        At::Ch("northwind_sg"),
    ),
    (
        20,
        "mira.kostova@northwind-coffee.example",
        "georgi.dimitrov@northwind-coffee.example",
        Role::Publisher,
        At::Ws("global"),
    ),
];

/// Who connected each workspace's channels.
const CHANNEL_ADMINS: &[(&str, &str)] = &[
    ("global", "jonas.weber@northwind-coffee.example"),
    ("europe", "jonas.weber@northwind-coffee.example"),
    ("americas", "mira.kostova@northwind-coffee.example"),
    ("apac", "priya.nair@northwind-coffee.example"),
];

/// The day the Europe workspace gets its approval workflow (brand review by an Approver, a day to
/// decide, Jonas as the backup).
const WORKFLOW_DAY: i64 = 15;

/// When a demo post goes out.
#[derive(Debug, Clone, Copy)]
enum When {
    /// Published on this day of the history at this local time (written the day before).
    Published {
        day: i64,
        h: u32,
        m: u32,
    },
    /// Scheduled this many days from today at this local time.
    Scheduled {
        in_days: i64,
        h: u32,
        m: u32,
    },
    /// Scheduled like `Scheduled`, after an Approver approved it (Europe has a workflow).
    Approved {
        in_days: i64,
        h: u32,
        m: u32,
    },
    /// Submitted, waiting for approval.
    Pending,
    Draft,
}

struct DemoPost {
    author: &'static str,
    workspace: &'static str,
    /// Channel handles.
    channels: &'static [&'static str],
    title: &'static str,
    text: &'static str,
    link: Option<&'static str>,
    when: When,
}

const POSTS: &[DemoPost] = &[
    DemoPost {
        author: "emily.carter@northwind-coffee.example",
        workspace: "americas",
        channels: &["northwind_us", "northwind_ca"],
        title: "Pumpkin spice is back",
        text: "It's that time of year again: Pumpkin Spice Latte is back in every Northwind store from today. 🎃☕",
        link: None,
        when: When::Published { day: 6, h: 8, m: 0 },
    },
    DemoPost {
        author: "tom.fischer@northwind-coffee.example",
        workspace: "global",
        channels: &["northwind_news", "northwind_careers"],
        title: "Roastery opening",
        text: "Our new roastery in Hamburg opens its doors: 40 new jobs and a visitor café. Come and smell the beans.",
        link: Some("https://northwind-coffee.example/news/hamburg-roastery"),
        when: When::Published {
            day: 9,
            h: 10,
            m: 30,
        },
    },
    DemoPost {
        author: "georgi.dimitrov@northwind-coffee.example",
        workspace: "europe",
        channels: &["northwind_bg", "northwind_uk"],
        title: "Бариста шампионат",
        text: "Нашият бариста Петър спечели националния шампионат! Елате да опитате победното му еспресо в София. 🏆",
        link: None,
        when: When::Published {
            day: 12,
            h: 11,
            m: 0,
        },
    },
    DemoPost {
        author: "priya.nair@northwind-coffee.example",
        workspace: "apac",
        channels: &["northwind_sg", "northwind_jp", "northwind_help_apac"],
        title: "Singapore store hours",
        text: "From Monday our Marina Bay store opens at 6:30 for early risers. See you there!",
        link: None,
        when: When::Published {
            day: 20,
            h: 9,
            m: 15,
        },
    },
    DemoPost {
        author: "georgi.dimitrov@northwind-coffee.example",
        workspace: "global",
        channels: &["northwind_green", "northwind_rewards"],
        title: "Bring your own cup",
        text: "Bring your own cup and get 20 cents off every drink, all year. Small change, big difference. ♻️",
        link: Some("https://northwind-coffee.example/green"),
        when: When::Published {
            day: 26,
            h: 14,
            m: 0,
        },
    },
    DemoPost {
        author: "emily.carter@northwind-coffee.example",
        workspace: "americas",
        channels: &["northwind_us", "northwind_help_us"],
        title: "Holiday menu",
        text: "Our holiday menu lands next week: peppermint mocha, gingerbread cold brew and a new oat nog. Which one first?",
        link: None,
        when: When::Scheduled {
            in_days: 1,
            h: 9,
            m: 0,
        },
    },
    DemoPost {
        author: "priya.nair@northwind-coffee.example",
        workspace: "apac",
        channels: &["northwind_in", "northwind_jp"],
        title: "Single-origin: Chikmagalur",
        text: "New single-origin from Chikmagalur, India: notes of dark chocolate and cardamom. In stores this Friday.",
        link: Some("https://northwind-coffee.example/coffee/chikmagalur"),
        when: When::Scheduled {
            in_days: 2,
            h: 11,
            m: 30,
        },
    },
    DemoPost {
        author: "georgi.dimitrov@northwind-coffee.example",
        workspace: "global",
        channels: &["northwind_news", "northwind_green", "northwind_ir"],
        title: "Sustainability report",
        text: "Our 2026 sustainability report is out: 92% of our coffee is now directly traded, and every roastery runs on renewable power.",
        link: Some("https://northwind-coffee.example/sustainability/2026"),
        when: When::Scheduled {
            in_days: 3,
            h: 10,
            m: 0,
        },
    },
    DemoPost {
        author: "georgi.dimitrov@northwind-coffee.example",
        workspace: "europe",
        channels: &["northwind_de", "northwind_nl", "northwind_nordics"],
        title: "Winter blend",
        text: "Our Winter Blend is here: warming spice, a hint of orange, roasted in Hamburg. Available across Europe from Monday.",
        link: None,
        when: When::Approved {
            in_days: 2,
            h: 9,
            m: 30,
        },
    },
    DemoPost {
        author: "lucas.moreau@northwind-coffee.example",
        workspace: "europe",
        channels: &["northwind_es", "northwind_it", "northwind_pl"],
        title: "Barista workshops",
        text: "Learn latte art from our head baristas: free workshops every Saturday in December. Places are limited, so book early.",
        link: Some("https://northwind-coffee.example/workshops"),
        when: When::Pending,
    },
    DemoPost {
        author: "emily.carter@northwind-coffee.example",
        workspace: "americas",
        channels: &["northwind_us"],
        title: "Cold brew week (idea)",
        text: "Cold brew week: one new recipe a day. Draft, to plan with the team.",
        link: None,
        when: When::Draft,
    },
    DemoPost {
        author: "georgi.dimitrov@northwind-coffee.example",
        workspace: "europe",
        channels: &["northwind_bg"],
        title: "Коледен базар",
        text: "Коледен базар в нашето кафене на Витошка: греяно вино, сладкиши и подаръци. Чернова.",
        link: None,
        when: When::Draft,
    },
];

// ---------------------------------------------------------------------------------------------

/// A clock the seeding moves forward by hand.
#[derive(Debug)]
struct SeedClock(Mutex<DateTime<Utc>>);

impl SeedClock {
    fn set(&self, t: DateTime<Utc>) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        // Never backwards: two steps planned for the same instant keep their order.
        *now = chain_time(t.max(*now + Duration::milliseconds(1)));
    }
}

impl Clock for SeedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One thing that happens in the demo's history.
#[derive(Debug, Clone, Copy)]
enum Step {
    CreateOwner,
    Workspace(usize),
    Channel(usize),
    Invite(usize),
    Setup(usize),
    SignIn(usize),
    FailedSignIns(usize),
    Team(usize),
    Token(usize),
    RevokeToken(usize),
    LaterGrant(usize),
    Disable(usize),
    Workflow,
    /// A post written (and scheduled, if it goes out at a time).
    WritePost(usize),
    /// A past post published at its time.
    PublishPost(usize),
    /// A customer writes (an [`Answered`] conversation of the inbox's past: its first message,
    /// or with `true` its follow-up).
    Ask(usize, bool),
    /// A person answers it (the first answer, or with `true` the answer to the follow-up).
    Answer(usize, bool),
}

/// What seeding made, for the banner and the tests.
#[derive(Debug)]
pub struct Seeded {
    pub owner_id: UserId,
    /// The password of every demo person but the owner.
    pub others_password: String,
    pub events: usize,
}

/// Seed the demo into `store`, whose database must be empty. `now` is the real time: the
/// history ends just before it.
pub async fn seed(store: &Store, now: DateTime<Utc>) -> anyhow::Result<Seeded> {
    let mut rng = StdRng::seed_from_u64(0x00C0_FFEE);
    let start = (now - Duration::days(HISTORY_DAYS))
        .date_naive()
        .and_time(NaiveTime::MIN)
        .and_utc();
    let clock = Arc::new(SeedClock(Mutex::new(start)));
    let seeding = store.clone().with_clock(clock.clone());

    // The fixed seed is for the timeline only; the password is fresh for every demo.
    let others_password: String = rand::thread_rng()
        .sample_iter(rand::distributions::Alphanumeric)
        .take(20)
        .map(char::from)
        .collect();
    let hash = {
        let p = others_password.clone();
        tokio::task::spawn_blocking(move || {
            owlery_web::auth::password::hash_blocking(&p)
                .map_err(|e| anyhow::anyhow!("cannot hash the demo password: {e}"))
        })
        .await??
    };

    let answered = answered_history(&mut rng, now);
    let plan = plan(&mut rng, start, now, &answered)?;
    let mut st = State {
        start,
        answered,
        ..State::default()
    };
    for (at, step) in &plan {
        clock.set(*at);
        run_step(&seeding, &mut st, *step, &hash, &mut rng)
            .await
            .with_context(|| format!("demo step {step:?}"))?;
    }
    seed_inbox(store, &mut st, now)
        .await
        .context("demo inbox conversations")?;
    let owner_id = st.user(PEOPLE[0].email)?;
    Ok(Seeded {
        owner_id,
        others_password,
        events: plan.len(),
    })
}

/// Ids made along the way, by the tables' keys.
#[derive(Default)]
struct State {
    org: Option<owlery_domain::OrgId>,
    workspaces: Vec<(&'static str, WorkspaceId)>,
    channels: Vec<(&'static str, ChannelId)>,
    users: Vec<(&'static str, UserId)>,
    setup_links: Vec<(usize, String)>,
    tokens: Vec<(usize, owlery_domain::TokenId)>,
    start: DateTime<Utc>,
    /// Demo posts by index: their variants.
    posts: Vec<(usize, Vec<owlery_domain::VariantId>)>,
    /// The inbox's answered past, and the conversation each became.
    answered: Vec<Answered>,
    answered_conversations: Vec<(usize, owlery_domain::ConversationId)>,
    teams: Vec<(&'static str, owlery_domain::TeamId)>,
    /// The triage model, loaded once for every demo message.
    classifier: Option<owlery_triage::BuiltIn>,
}

impl State {
    fn classifier(&mut self) -> anyhow::Result<&owlery_triage::BuiltIn> {
        if self.classifier.is_none() {
            self.classifier = Some(
                owlery_triage::BuiltIn::new()
                    .map_err(|e| anyhow::anyhow!("cannot load the triage model: {e}"))?,
            );
        }
        self.classifier.as_ref().context("the triage model")
    }

    fn user(&self, email: &str) -> anyhow::Result<UserId> {
        find(&self.users, email).with_context(|| format!("demo person {email} not created yet"))
    }

    fn scope(&self, at: At) -> anyhow::Result<Scope> {
        Ok(match at {
            At::Org => Scope::Organisation,
            At::Ws(k) => Scope::Workspace(
                find(&self.workspaces, k).with_context(|| format!("workspace {k}"))?,
            ),
            At::Ch(h) => {
                Scope::Channel(find(&self.channels, h).with_context(|| format!("channel {h}"))?)
            }
        })
    }
}

fn find<T: Copy>(v: &[(&'static str, T)], key: &str) -> Option<T> {
    v.iter().find(|(k, _)| *k == key).map(|(_, t)| *t)
}

fn person(email: &str) -> anyhow::Result<usize> {
    PEOPLE
        .iter()
        .position(|p| p.email == email)
        .with_context(|| format!("no demo person {email}"))
}

fn tz(p: &Person) -> chrono_tz::Tz {
    p.time_zone.parse().unwrap_or(chrono_tz::UTC)
}

/// `day` days after `start`, at `h:m` local time in `zone`.
fn local(start: DateTime<Utc>, zone: chrono_tz::Tz, day: i64, h: u32, m: u32) -> DateTime<Utc> {
    let date = (start + Duration::days(day)).date_naive();
    let time = NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN);
    zone.from_local_datetime(&date.and_time(time))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| date.and_time(time).and_utc())
}

/// An address from the documentation ranges (RFC 5737), one per person.
fn ip_of(i: usize) -> String {
    format!("198.51.100.{}", 20 + i)
}

/// The whole history, in time order.
fn plan(
    rng: &mut StdRng,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    answered: &[Answered],
) -> anyhow::Result<Vec<(DateTime<Utc>, Step)>> {
    let owner_tz = tz(&PEOPLE[0]);
    let mut plan = vec![(local(start, owner_tz, 0, 8, 30), Step::CreateOwner)];
    for i in 0..WORKSPACES.len() {
        plan.push((
            local(start, owner_tz, 0, 9, 5 + 7 * i as u32),
            Step::Workspace(i),
        ));
    }
    // Channels are connected on days 2 to 4, before the people who work on them are invited.
    for (i, (ws, _, _, _)) in CHANNELS.iter().enumerate() {
        let admin = CHANNEL_ADMINS
            .iter()
            .find(|(w, _)| w == ws)
            .map(|(_, a)| *a)
            .context("channel admin")?;
        let day = 2 + (i as i64 % 3);
        let minute = rng.gen_range(0..50);
        plan.push((
            local(
                start,
                tz(&PEOPLE[person(admin)?]),
                day,
                11 + (i as u32 % 5),
                minute,
            ),
            Step::Channel(i),
        ));
    }
    let mut setup_day = vec![None; PEOPLE.len()];
    for (i, p) in PEOPLE.iter().enumerate().skip(1) {
        let inviter = tz(&PEOPLE[person(p.invited_by.context("invited_by")?)?]);
        let invited = local(start, inviter, p.invited_on_day, 10, 3 * i as u32);
        plan.push((invited, Step::Invite(i)));
        if p.fate == Fate::StillInvited {
            continue;
        }
        // Most people set their password within a few hours.
        let setup = invited + Duration::minutes(rng.gen_range(15..300));
        plan.push((setup, Step::Setup(i)));
        setup_day[i] = Some(setup);
    }
    // Working-day sign-ins, around the start of each person's day.
    for (i, p) in PEOPLE.iter().enumerate() {
        let Some(from) = setup_day[i] else { continue };
        let last_day = match p.fate {
            Fate::DisabledOnDay(d) => d - 1,
            _ => HISTORY_DAYS,
        };
        for day in 0..=last_day {
            let at = local(
                start,
                tz(p),
                day,
                8 + rng.gen_range(0..2),
                rng.gen_range(0..60),
            );
            let weekday = at.with_timezone(&tz(p)).weekday();
            let working = !matches!(weekday, Weekday::Sat | Weekday::Sun);
            if at > from + Duration::hours(12)
                && at < now - Duration::minutes(10)
                && working
                && rng.gen_bool(p.signin_rate)
            {
                plan.push((at, Step::SignIn(i)));
            }
        }
    }
    // Marcus mistypes his password one Monday morning; someone tries addresses that do not exist.
    let marcus = person("marcus.lee@northwind-coffee.example")?;
    plan.push((
        local(start, tz(&PEOPLE[marcus]), 12, 7, 55),
        Step::FailedSignIns(marcus),
    ));
    for i in 0..TEAMS.len() {
        plan.push((
            local(start, tz(&PEOPLE[1]), TEAMS_DAY, 14, 10 * i as u32),
            Step::Team(i),
        ));
    }
    for (i, t) in TOKENS.iter().enumerate() {
        let owner = &PEOPLE[person(t.owner)?];
        plan.push((
            local(start, tz(owner), t.created_on_day, 15, 20),
            Step::Token(i),
        ));
        if let Some(d) = t.revoked_on_day {
            plan.push((local(start, tz(owner), d, 15, 10), Step::RevokeToken(i)));
        }
    }
    for (i, (day, by, _, _, _)) in LATER_GRANTS.iter().enumerate() {
        plan.push((
            local(start, tz(&PEOPLE[person(by)?]), *day, 16, 30),
            Step::LaterGrant(i),
        ));
    }
    for (i, p) in PEOPLE.iter().enumerate() {
        if let Fate::DisabledOnDay(d) = p.fate {
            plan.push((local(start, tz(&PEOPLE[1]), d, 17, 45), Step::Disable(i)));
        }
    }
    plan.push((
        local(start, tz(&PEOPLE[1]), WORKFLOW_DAY, 12, 0),
        Step::Workflow,
    ));
    for (i, p) in POSTS.iter().enumerate() {
        let zone = tz(&PEOPLE[person(p.author)?]);
        match p.when {
            When::Published { day, h, m } => {
                let at = local(start, zone, day, h, m);
                plan.push((at - Duration::hours(20), Step::WritePost(i)));
                plan.push((at, Step::PublishPost(i)));
            }
            // Today's work, in the last minutes before the demo starts.
            _ => plan.push((
                now - Duration::minutes(10) + Duration::seconds(i as i64),
                Step::WritePost(i),
            )),
        }
    }
    for (i, a) in answered.iter().enumerate() {
        plan.push((a.asked_at, Step::Ask(i, false)));
        plan.push((a.answered_at, Step::Answer(i, false)));
        if let Some((asked, answered)) = a.follow_up {
            plan.push((asked, Step::Ask(i, true)));
            plan.push((answered, Step::Answer(i, true)));
        }
    }
    plan.retain(|(at, _)| *at < now);
    plan.sort_by_key(|(at, _)| *at);
    Ok(plan)
}

fn actor_for(st: &State, email: &str, i: usize) -> anyhow::Result<Actor> {
    Ok(Actor::user(st.user(email)?, email, Some(ip_of(i))))
}

async fn run_step(
    store: &Store,
    st: &mut State,
    step: Step,
    password_hash: &str,
    rng: &mut StdRng,
) -> anyhow::Result<()> {
    let owner = &PEOPLE[0];
    match step {
        Step::CreateOwner => {
            let org = store.ensure_organisation(&Actor::cli(), ORG_NAME).await?;
            st.org = Some(org.id);
            let user = store
                .create_user(
                    &Actor::cli(),
                    org.id,
                    new_user(owner, None)?,
                    &grants(st, owner)?,
                )
                .await?;
            st.users.push((owner.email, user.id));
        }
        Step::Workspace(i) => {
            let (key, name) = WORKSPACES[i];
            let org = st.org.context("organisation")?;
            let ws = store
                .create_workspace(
                    &actor_for(st, owner.email, 0)?,
                    org,
                    &DisplayName::parse("name", name)?,
                )
                .await?;
            st.workspaces.push((key, ws.id));
        }
        Step::Channel(i) => {
            let (ws, name, handle, network) = CHANNELS[i];
            let admin = CHANNEL_ADMINS
                .iter()
                .find(|(w, _)| *w == ws)
                .map(|(_, a)| *a)
                .context("channel admin")?;
            let actor = actor_for(st, admin, person(admin)?)?;
            let ch = store
                .create_channel(
                    &actor,
                    find(&st.workspaces, ws).context("workspace")?,
                    network,
                    &DisplayName::parse("name", name)?,
                    handle,
                )
                .await?;
            store.set_channel_simulated(&actor, ch.id, true).await?;
            st.channels.push((handle, ch.id));
        }
        Step::Invite(i) => {
            let p = &PEOPLE[i];
            let by = p.invited_by.context("invited_by")?;
            let actor = actor_for(st, by, person(by)?)?;
            let org = st.org.context("organisation")?;
            let user = store
                .create_user(&actor, org, new_user(p, None)?, &grants(st, p)?)
                .await?;
            st.users.push((p.email, user.id));
            let link = store
                .create_link(&actor, user.id, LinkPurpose::Setup, Duration::days(7))
                .await?;
            st.setup_links.push((i, link));
        }
        Step::Setup(i) => {
            let p = &PEOPLE[i];
            let id = st.user(p.email)?;
            let actor = actor_for(st, p.email, i)?;
            if let Some((_, link)) = st.setup_links.iter().find(|(j, _)| *j == i) {
                store.consume_link(link, LinkPurpose::Setup).await?;
            }
            store
                .set_password(&actor, id, password_hash, "user.setup", None)
                .await?;
            store.record_signin(&actor, id, "setup_link").await?;
        }
        Step::SignIn(i) => {
            let p = &PEOPLE[i];
            let id = st.user(p.email)?;
            let ip = if rng.gen_bool(0.2) {
                // Now and then from a phone or a café.
                format!("203.0.113.{}", rng.gen_range(2..250))
            } else {
                ip_of(i)
            };
            store
                .record_signin(&Actor::user(id, p.email, Some(ip)), id, "password")
                .await?;
        }
        Step::FailedSignIns(i) => {
            let p = &PEOPLE[i];
            let id = st.user(p.email)?;
            let ip = ip_of(i);
            let actor = Actor::user(id, p.email, Some(ip.clone()));
            for _ in 0..2 {
                store
                    .record_signin_failure(&actor, p.email, &ip, "bad_credentials")
                    .await?;
            }
            store.record_signin(&actor, id, "password").await?;
            let stranger = "203.0.113.66";
            for guess in [
                "admin@northwind-coffee.example",
                "info@northwind-coffee.example",
                "root@northwind-coffee.example",
            ] {
                let actor = Actor {
                    user_id: None,
                    label: guess.to_owned(),
                    ip: Some(stranger.to_owned()),
                };
                store
                    .record_signin_failure(&actor, guess, stranger, "bad_credentials")
                    .await?;
            }
        }
        Step::Team(i) => {
            let (name, members) = TEAMS[i];
            let jonas = PEOPLE[1].email;
            let actor = actor_for(st, jonas, 1)?;
            let org = st.org.context("organisation")?;
            let team = store
                .create_team(&actor, org, &DisplayName::parse("name", name)?)
                .await?;
            for m in members {
                store
                    .set_team_member(&actor, team.id, st.user(m)?, true)
                    .await?;
            }
            // The community care teams keep office hours in their region.
            if let Some((_, zone)) = CARE_HOURS.iter().find(|(n, _)| *n == name) {
                let current = store
                    .team_inbox_settings(org)
                    .await?
                    .into_iter()
                    .find(|t| t.team_id == team.id)
                    .context("the team just created")?;
                store
                    .set_team_inbox_settings(
                        &actor,
                        org,
                        &owlery_store::inbox_rules::TeamInboxSettings {
                            time_zone: (*zone).to_owned(),
                            hours: Some("mon-fri 08:00-18:00".to_owned()),
                            ..current
                        },
                    )
                    .await?;
            }
            st.teams.push((name, team.id));
        }
        Step::Token(i) => {
            let t = &TOKENS[i];
            let who = person(t.owner)?;
            let actor = actor_for(st, t.owner, who)?;
            let scopes: Vec<Permission> = parse_scopes(t.scopes.iter().copied())?;
            let expires = parse_expiry(Some(t.expires_in_days), store.now())?;
            let (_, token) = store
                .create_token(&actor, st.user(t.owner)?, t.name, &scopes, expires)
                .await?;
            st.tokens.push((i, token.id));
        }
        Step::RevokeToken(i) => {
            let t = &TOKENS[i];
            let id = st
                .tokens
                .iter()
                .find(|(j, _)| *j == i)
                .map(|(_, id)| *id)
                .context("token")?;
            store
                .revoke_token(&actor_for(st, t.owner, person(t.owner)?)?, id)
                .await?;
        }
        Step::LaterGrant(i) => {
            let (_, by, to, role, at) = LATER_GRANTS[i];
            store
                .grant_role(
                    &actor_for(st, by, person(by)?)?,
                    st.user(to)?,
                    Grant {
                        role,
                        scope: st.scope(at)?,
                    },
                )
                .await?;
        }
        Step::Workflow => {
            let jonas = PEOPLE[1].email;
            store
                .set_workflow(
                    &actor_for(st, jonas, 1)?,
                    find(&st.workspaces, "europe").context("workspace")?,
                    None,
                    "Brand review",
                    &Workflow {
                        steps: vec![WorkflowStep {
                            name: "Brand".into(),
                            approvers: Approvers::Role {
                                role: Role::Approver,
                            },
                            required: 1,
                            backup: Some(st.user(jonas)?),
                            deadline_hours: Some(24),
                        }],
                    },
                )
                .await?;
        }
        Step::WritePost(i) => write_post(store, st, i).await?,
        Step::PublishPost(i) => publish_post(store, st, i).await?,
        Step::Ask(i, follow_up) => ask(store, st, i, follow_up).await?,
        Step::Answer(i, follow_up) => answer(store, st, i, follow_up).await?,
        Step::Disable(i) => {
            let p = &PEOPLE[i];
            let id = st.user(p.email)?;
            let actor = actor_for(st, PEOPLE[1].email, 1)?;
            store
                .set_user_status(&actor, id, UserStatus::Disabled)
                .await?;
            for g in store.grants_of(id).await? {
                store.revoke_grant(&actor, g.id).await?;
            }
        }
    }
    Ok(())
}

/// The variants of a demo post: each channel's first placement, validated against the spec.
fn variant_inputs(
    st: &State,
    channels: &[&str],
    content: &Content,
) -> anyhow::Result<Vec<VariantInput>> {
    let specs = Specs::embedded()?;
    channels
        .iter()
        .map(|h| {
            let id = find(&st.channels, h).with_context(|| format!("channel {h}"))?;
            let network = CHANNELS
                .iter()
                .find(|c| c.2 == *h)
                .map(|c| c.3)
                .context("channel network")?;
            let placement = specs
                .network(network.code())
                .and_then(|n| n.placements.first())
                .with_context(|| format!("no placement for {}", network.code()))?;
            let findings = validate(
                placement,
                &post::draft_for(placement, content, vec![]),
                None,
            );
            Ok(VariantInput {
                channel_id: id,
                placement: placement.code.clone(),
                overrides: Overrides::default(),
                validation: Validation {
                    has_errors: findings.iter().any(|f| f.severity == Severity::Error),
                    findings: serde_json::to_value(&findings)?,
                    spec_version: specs.version.clone(),
                },
            })
        })
        .collect()
}

async fn write_post(store: &Store, st: &mut State, i: usize) -> anyhow::Result<()> {
    let p = &POSTS[i];
    let who = person(p.author)?;
    let actor = actor_for(st, p.author, who)?;
    let zone = tz(&PEOPLE[who]);
    let today = (store.now() - st.start).num_days();
    let at = match p.when {
        When::Published { day, h, m } => Some(local(st.start, zone, day, h, m)),
        When::Scheduled { in_days, h, m } | When::Approved { in_days, h, m } => {
            Some(local(st.start, zone, today + in_days, h, m))
        }
        When::Pending | When::Draft => None,
    };
    let content = Content {
        text: p.text.to_owned(),
        link: p.link.map(str::to_owned),
        ..Content::default()
    };
    let post = store
        .create_post(
            &actor,
            st.user(p.author)?,
            NewPost {
                workspace_id: find(&st.workspaces, p.workspace).context("workspace")?,
                title: p.title.to_owned(),
                variants: variant_inputs(st, p.channels, &content)?,
                content,
                campaign_id: None,
                scheduled_at: at,
                schedule_tz: PEOPLE[who].time_zone.to_owned(),
            },
        )
        .await?;
    if !matches!(p.when, When::Draft) {
        store.submit_post(&actor, post.id).await?;
    }
    if matches!(p.when, When::Approved { .. }) {
        let daniel = "daniel.okafor@northwind-coffee.example";
        for review in store.reviews_of_post(post.id).await? {
            store
                .decide(
                    &actor_for(st, daniel, person(daniel)?)?,
                    review.id,
                    Decider::User {
                        user_id: st.user(daniel)?,
                        roles_here: vec![Role::Approver],
                        teams: Vec::new(),
                    },
                    Verdict::Approve,
                    None,
                )
                .await
                .map_err(|e| anyhow::anyhow!("approving a demo post: {e}"))?;
        }
    }
    st.posts
        .push((i, post.variants.iter().map(|v| v.id).collect()));
    Ok(())
}

/// Publish a past demo post the way the worker does: claim, then record the simulated post.
async fn publish_post(store: &Store, st: &State, i: usize) -> anyhow::Result<()> {
    let variants = st
        .posts
        .iter()
        .find(|(j, _)| *j == i)
        .map(|(_, v)| v.clone())
        .context("demo post not written")?;
    let at = store.now();
    for v in variants {
        if let Claim::Go(d) = store.claim_for_publishing(v, at).await? {
            let (id, url) = simulated_ref(d.network, &d.handle, v);
            store.record_published(v, &id, &url).await?;
        }
    }
    Ok(())
}

fn new_user(p: &Person, password_hash: Option<String>) -> anyhow::Result<NewUser> {
    Ok(NewUser {
        email: Email::parse(p.email)?,
        name: DisplayName::parse("name", p.name)?,
        password_hash,
        language: p.language.to_owned(),
        time_zone: p.time_zone.to_owned(),
    })
}

fn grants(st: &State, p: &Person) -> anyhow::Result<Vec<Grant>> {
    p.grants
        .iter()
        .map(|(role, at)| {
            Ok(Grant {
                role: *role,
                scope: st.scope(*at)?,
            })
        })
        .collect()
}

/// For `serve --demo`: seed an empty database, or find the demo seeded earlier; either way say
/// how to sign in. Returns the banner's lines.
pub async fn prepare(store: &Store, public_url: &str) -> anyhow::Result<Vec<String>> {
    let owner = &PEOPLE[0];
    let mut lines = Vec::new();
    let owner_id = match store.credentials_by_email(owner.email).await? {
        Some(c) if c.user.status == UserStatus::Invited => c.user.id,
        Some(c) => {
            return Ok(vec![format!(
                "Demo: {ORG_NAME}. Sign in at {public_url}/signin as {} with the password you chose.",
                c.user.email
            )]);
        }
        None => {
            if store.count_users().await? > 0 || store.organisation().await?.is_some() {
                return Ok(vec![
                    "--demo: this database already has an organisation, so no demo was added \
                     (the demo only fills an empty database: use a new --data-dir)."
                        .into(),
                ]);
            }
            let started = std::time::Instant::now();
            let seeded = seed(store, store.now())
                .await
                .context("cannot seed the demo")?;
            tracing::info!(
                demo.events = seeded.events,
                duration_ms = started.elapsed().as_millis() as u64,
                "demo organisation seeded"
            );
            lines.push(format!(
                "Demo: {ORG_NAME} — {} workspaces, {} simulated channels, {} people, {} teams, {} posts and a month of history.",
                WORKSPACES.len(),
                CHANNELS.len(),
                PEOPLE.len(),
                TEAMS.len(),
                POSTS.len()
            ));
            lines.push(format!(
                "The other demo people sign in with their e-mail and this password (shown only now): {}",
                seeded.others_password
            ));
            seeded.owner_id
        }
    };
    let secret = store
        .create_link(
            &Actor::system(),
            owner_id,
            LinkPurpose::Setup,
            Duration::hours(OWNER_LINK_HOURS),
        )
        .await?;
    lines.push(format!(
        "Sign in as the owner, {} <{}>: open this one-time link and choose a password (valid {OWNER_LINK_HOURS} hours):",
        owner.name, owner.email
    ));
    lines.push(format!("    {public_url}/setup/{secret}"));
    Ok(lines)
}

/// The demo inbox: (channel handle, kind, author handle, author name, text, minutes ago, thread).
/// Several languages, every intent, a few threads with follow-ups, some close to or past their
/// 24-hour deadline.
const INBOX: &[(&str, &str, &str, &str, &str, i64, &str)] = &[
    (
        "northwind_help",
        "dm",
        "maya_r",
        "Maya Rodriguez",
        "Hi! My order #4471 was supposed to arrive on Monday and the tracking hasn't moved since. Can you check?",
        1430,
        "",
    ),
    (
        "northwind_help",
        "dm",
        "maya_r",
        "Maya Rodriguez",
        "Still nothing today. I need the beans for a café opening on Saturday.",
        300,
        "",
    ),
    (
        "northwind_help",
        "comment",
        "jake.t",
        "Jake Turner",
        "Is the Ethiopia Yirgacheffe back in stock? Can't find it on the site.",
        65,
        "post-roast-week",
    ),
    (
        "northwind_help",
        "comment",
        "coffeelover88",
        "Sam Price",
        "Best cold brew I've had all year, seriously.",
        40,
        "post-roast-week",
    ),
    (
        "northwind_help",
        "mention",
        "baristabetty",
        "Betty Lang",
        "@northwind_help your new oat latte is amazing, thank you for the vegan options!",
        20,
        "",
    ),
    (
        "northwind_help",
        "comment",
        "deals4u_now",
        "Deals 4 U",
        "Make $5000 a week from home!!! Click here bit.ly/xxxx",
        12,
        "post-roast-week",
    ),
    (
        "northwind_us",
        "dm",
        "greg_h",
        "Greg Holloway",
        "I was charged twice for my subscription this month. Please refund one of the charges.",
        1420,
        "",
    ),
    (
        "northwind_us",
        "comment",
        "lin.chen",
        "Lin Chen",
        "Do you offer wholesale pricing for offices? We're about 80 people.",
        200,
        "post-office-blend",
    ),
    (
        "northwind_us",
        "comment",
        "lin.chen",
        "Lin Chen",
        "Also interested in a monthly delivery plan.",
        190,
        "post-office-blend",
    ),
    (
        "northwind_us",
        "mention",
        "morningjoe",
        "Joe Park",
        "Honestly @northwind_us customer service has been terrible lately, 3 emails and no reply.",
        95,
        "",
    ),
    (
        "northwind_help_us",
        "dm",
        "tina_k",
        "Tina Kowalski",
        "How do I change the delivery address on my next shipment?",
        30,
        "",
    ),
    (
        "northwind_help_us",
        "comment",
        "angrydave",
        "Dave Miller",
        "You people are clowns. Worst company ever, idiots.",
        8,
        "post-holiday-hours",
    ),
    (
        "northwind_bg",
        "comment",
        "ivan.p",
        "Иван Петров",
        "Кога ще пристигне поръчката ми? Чакам вече две седмици.",
        1380,
        "post-sofia-shop",
    ),
    (
        "northwind_bg",
        "comment",
        "maria.g",
        "Мария Георгиева",
        "Страхотно кафе, благодаря! Ще дойда пак в събота.",
        150,
        "post-sofia-shop",
    ),
    (
        "northwind_bg",
        "dm",
        "petar_s",
        "Петър Стоянов",
        "Здравейте, имате ли вегански сладкиши в магазина на Витошка?",
        45,
        "",
    ),
    (
        "northwind_bg",
        "mention",
        "coffee_sofia",
        "Кафе София",
        "@northwind_bg ужасно обслужване днес, 30 минути чакане за едно еспресо.",
        25,
        "",
    ),
    (
        "northwind_de",
        "comment",
        "lena_m",
        "Lena Müller",
        "Wann kommt die neue Espressomaschine wieder auf Lager?",
        500,
        "post-espresso",
    ),
    (
        "northwind_de",
        "dm",
        "k_schmidt",
        "Klaus Schmidt",
        "Meine Lieferung war beschädigt, die Verpackung war komplett nass. Was jetzt?",
        1400,
        "",
    ),
    (
        "northwind_de",
        "mention",
        "kaffeeklatsch",
        "Anna Becker",
        "Danke @northwind_de, der Service war heute super und das Personal sehr freundlich!",
        60,
        "",
    ),
    (
        "northwind_es",
        "comment",
        "carlos_r",
        "Carlos Ruiz",
        "¿Dónde está mi pedido? Lo pedí hace diez días.",
        1300,
        "post-madrid",
    ),
    (
        "northwind_es",
        "dm",
        "lucia.f",
        "Lucía Fernández",
        "¿Tenéis descuentos para estudiantes?",
        80,
        "",
    ),
    (
        "northwind_es",
        "comment",
        "pablo_m",
        "Pablo Martín",
        "¡Me encanta el nuevo tueste! Enhorabuena al equipo.",
        35,
        "post-madrid",
    ),
    (
        "northwind_fr",
        "comment",
        "claire_d",
        "Claire Dubois",
        "Est-ce que la boutique de Lyon est ouverte dimanche ?",
        120,
        "post-lyon",
    ),
    (
        "northwind_fr",
        "dm",
        "julien_b",
        "Julien Bernard",
        "Ma commande est arrivée incomplète, il manque deux paquets.",
        700,
        "",
    ),
    (
        "northwind_uk",
        "comment",
        "oliver_w",
        "Oliver Wright",
        "Any chance you'll stock decaf in the Manchester shop?",
        240,
        "post-manchester",
    ),
    (
        "northwind_uk",
        "mention",
        "tea_or_coffee",
        "Harriet Cole",
        "Lovely flat white at @northwind_uk this morning, cheers!",
        15,
        "",
    ),
    (
        "northwind_it",
        "comment",
        "giulia_r",
        "Giulia Romano",
        "Il caffè è arrivato freddo e il servizio è stato pessimo.",
        600,
        "post-milano",
    ),
    (
        "northwind_nl",
        "dm",
        "daan_v",
        "Daan de Vries",
        "Kan ik mijn abonnement pauzeren tijdens de vakantie?",
        180,
        "",
    ),
    (
        "northwind_pl",
        "comment",
        "kasia_n",
        "Katarzyna Nowak",
        "Kiedy otwieracie kawiarnię w Krakowie?",
        400,
        "post-krakow",
    ),
    (
        "northwind_jp",
        "mention",
        "tokyo_beans",
        "Haruto Sato",
        "@northwind_jp thanks for the fast shipping to Osaka!",
        50,
        "",
    ),
    (
        "northwind_au",
        "dm",
        "mia_j",
        "Mia Johnson",
        "What are your opening hours over Christmas in Sydney?",
        90,
        "",
    ),
    (
        "northwind_ca",
        "comment",
        "ben_l",
        "Ben Leblanc",
        "Price for the 5 lb bag of house blend? Thinking of ordering for the team.",
        130,
        "post-toronto",
    ),
    (
        "northwind_news",
        "mention",
        "jdoe_press",
        "Jordan Doe",
        "@northwind_news can we get a comment on the new fair-trade sourcing policy for our article?",
        220,
        "",
    ),
    (
        "northwind_green",
        "comment",
        "eco_ella",
        "Ella Green",
        "Love that the cups are compostable now. More of this please!",
        75,
        "post-compostable",
    ),
    (
        "northwind_rewards",
        "dm",
        "points_pete",
        "Pete Harris",
        "My reward points disappeared after the app update. I had 2,400.",
        1000,
        "",
    ),
    (
        "northwind_help_apac",
        "comment",
        "raj_k",
        "Raj Kumar",
        "Does the Singapore store accept card payments?",
        55,
        "post-sg-launch",
    ),
    (
        "northwind_mx",
        "comment",
        "sofia_h",
        "Sofía Hernández",
        "¿Cuándo abren la tienda en Guadalajara? ¡Los esperamos!",
        160,
        "post-mexico",
    ),
    (
        "northwind_br",
        "dm",
        "joao_s",
        "João Silva",
        "Meu pedido chegou errado, pedi moído e veio em grãos.",
        450,
        "",
    ),
    (
        "northwind_help",
        "dm",
        "maya_r",
        "Maya Rodriguez",
        "Update: it arrived! Thank you so much for chasing it.",
        5,
        "",
    ),
];

/// A conversation of the inbox's past two weeks, answered by the channel's community agent: so the
/// reports have response times to show, in and out of business hours.
#[derive(Debug, Clone)]
struct Answered {
    channel: &'static str,
    agent: &'static str,
    team: &'static str,
    kind: &'static str,
    author: String,
    name: String,
    question: &'static str,
    asked_at: DateTime<Utc>,
    answer: &'static str,
    answered_at: DateTime<Utc>,
    /// The customer wrote again, and when that was answered.
    follow_up: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// Who answers each demo support channel, and the time zone of their working day.
const ANSWERING: [(&str, &str, &str); 2] = [
    (
        "northwind_help",
        "elena.petrova@northwind-coffee.example",
        "Community care EMEA",
    ),
    (
        "northwind_us",
        "marcus.lee@northwind-coffee.example",
        "Community care Americas",
    ),
];

/// What customers asked in the past, and what they were told.
const ASKED: [(&str, &str, &str); 8] = [
    (
        "dm",
        "Hi, can I still change the grind on my subscription before Friday's delivery?",
        "Yes — it's changed to espresso grind for Friday. Enjoy!",
    ),
    (
        "comment",
        "Is the oat milk free of charge in the stores?",
        "It is, in every store. Thanks for asking!",
    ),
    (
        "dm",
        "My parcel arrived damaged, the bag of beans was torn open.",
        "Sorry about that! A replacement is on its way, no need to send anything back.",
    ),
    (
        "comment",
        "Do you ship to Canada?",
        "We do — shipping to Canada takes 3–5 days.",
    ),
    (
        "mention",
        "Anyone know if the downtown store has wifi?",
        "It does: ask the barista for the password.",
    ),
    (
        "dm",
        "I was charged twice for order #3318.",
        "Thanks for telling us — the second charge is refunded; you'll see it in 2–3 days.",
    ),
    (
        "comment",
        "When is the holiday blend coming back?",
        "Next Monday, online and in stores!",
    ),
    (
        "dm",
        "Can I pick up my online order in a store?",
        "Yes: choose 'pick up' at checkout and the store you like.",
    ),
];

/// Two weeks of answered conversations: most in the working day, answered within the hour;
/// night and weekend messages wait for the next morning; a few slow answers miss the 24-hour
/// deadline; some customers write again.
fn answered_history(rng: &mut StdRng, now: DateTime<Utc>) -> Vec<Answered> {
    let first_names = [
        "Alex", "Sam", "Noor", "Luca", "Mei", "Tomás", "Ivana", "Kofi", "Ada",
    ];
    let mut out = Vec::new();
    for k in 0..36 {
        let (channel, agent, team) = ANSWERING[k % ANSWERING.len()];
        let zone = PEOPLE
            .iter()
            .find(|p| p.email == agent)
            .map(tz)
            .unwrap_or(chrono_tz::UTC);
        let (kind, question, answer) = ASKED[rng.gen_range(0..ASKED.len())];
        let day = rng.gen_range(1..=14);
        // Three in four in the working day, the rest in the evening or at night.
        let hour = if rng.gen_bool(0.75) {
            rng.gen_range(8..18)
        } else {
            [19, 21, 23, 2, 5][rng.gen_range(0..5)]
        };
        let asked_at = local(
            now - Duration::days(day),
            zone,
            0,
            hour,
            rng.gen_range(0..60),
        );
        let local_day = asked_at.with_timezone(&zone);
        let weekend = matches!(local_day.weekday(), Weekday::Sat | Weekday::Sun);
        let answered_at = if (8..18).contains(&hour) && !weekend {
            if rng.gen_bool(0.1) {
                asked_at + Duration::minutes(rng.gen_range(300..1800))
            } else {
                asked_at + Duration::minutes(rng.gen_range(3..75))
            }
        } else {
            // The next working morning.
            let mut next = local(asked_at, zone, if hour >= 18 { 1 } else { 0 }, 8, 0);
            while matches!(
                next.with_timezone(&zone).weekday(),
                Weekday::Sat | Weekday::Sun
            ) {
                next += Duration::days(1);
            }
            next + Duration::minutes(rng.gen_range(5..90))
        };
        let follow_up = rng.gen_bool(0.3).then(|| {
            let again = answered_at + Duration::minutes(rng.gen_range(20..240));
            (again, again + Duration::minutes(rng.gen_range(4..120)))
        });
        let first = first_names[k % first_names.len()];
        out.push(Answered {
            channel,
            agent,
            team,
            kind,
            author: format!("{}_{k}", first.to_lowercase()),
            name: format!("{first} {}", ["Reyes", "Novak", "Haddad", "Kim"][k % 4]),
            question,
            asked_at,
            answer,
            answered_at,
            follow_up,
        });
    }
    out
}

/// A customer of the inbox's past writes: the first message, or the follow-up.
async fn ask(store: &Store, st: &mut State, i: usize, follow_up: bool) -> anyhow::Result<()> {
    use owlery_domain::inbox::{AroundTheClock, Author, InboundMessage, MessageKind};
    use owlery_store::inbox::{ConversationFilter, InboxScope, Incoming};
    use owlery_triage::Classifier as _;
    use owlery_triage::inbox::classification;

    let a = st
        .answered
        .get(i)
        .context("demo answered conversation")?
        .clone();
    let Some(channel) = find(&st.channels, a.channel) else {
        return Ok(());
    };
    let org = st.org.context("demo organisation")?;
    let text = if follow_up {
        "Thanks! One more thing: do you have decaf too?"
    } else {
        a.question
    };
    let kind = MessageKind::parse(a.kind).with_context(|| format!("kind {}", a.kind))?;
    let message = InboundMessage {
        channel,
        remote_id: format!("demo-past-{i}-{}", u8::from(follow_up)),
        kind,
        author: Author {
            remote_id: format!("demo-past-user-{i}"),
            handle: a.author.clone(),
            name: a.name.clone(),
            followers: Some(40 + (i as u64 * 389) % 3_000),
        },
        text: text.to_owned(),
        created_at: store.now(),
        // The post a comment is on, a DM's or a mention's thread: the follow-up joins it.
        conversation_remote_id: Some(format!("demo-past-thread-{i}")),
        in_reply_to_remote_id: None,
        media: Vec::new(),
        url: None,
    };
    let triage = classification(&st.classifier()?.classify(text));
    store
        .ingest(&[Incoming { message, triage }], &AroundTheClock::default())
        .await?;
    if !follow_up {
        let page = store
            .list_conversations(
                org,
                &InboxScope::All,
                &ConversationFilter {
                    channel: Some(channel),
                    ..ConversationFilter::default()
                },
                None,
                200,
            )
            .await?;
        let found = page
            .items
            .iter()
            .find(|c| c.contact.handle == a.author)
            .context("the demo conversation just stored")?;
        st.answered_conversations.push((i, found.id));
    }
    Ok(())
}

/// The channel's agent answers a conversation of the inbox's past; the answer is on the network
/// a moment later.
async fn answer(store: &Store, st: &mut State, i: usize, follow_up: bool) -> anyhow::Result<()> {
    use owlery_store::inbox::InboxScope;
    use owlery_store::inbox_replies::NewReply;

    let Some(conversation) = st
        .answered_conversations
        .iter()
        .find(|(k, _)| *k == i)
        .map(|(_, c)| *c)
    else {
        return Ok(());
    };
    let a = st
        .answered
        .get(i)
        .context("demo answered conversation")?
        .clone();
    let org = st.org.context("demo organisation")?;
    let agent = st.user(a.agent)?;
    let actor = actor_for(st, a.agent, person(a.agent)?)?;
    // The agent takes the conversation for their team, then answers it.
    let team = find(&st.teams, a.team);
    let summary = store
        .update_conversation(
            &actor,
            org,
            &InboxScope::All,
            conversation,
            &owlery_store::inbox::ConversationPatch {
                assignee: Some(Some(agent)),
                team: team.map(Some),
                ..owlery_store::inbox::ConversationPatch::default()
            },
        )
        .await?;
    let text = if follow_up {
        "We do — the Swiss-water decaf, in every store."
    } else {
        a.answer
    };
    let key = format!("demo-past-{i}-{}", u8::from(follow_up));
    let created = store
        .create_reply(
            &actor,
            agent,
            &summary,
            &NewReply {
                text,
                close: follow_up || a.follow_up.is_none(),
                client_key: &key,
                needs_approval: false,
            },
        )
        .await?;
    store
        .record_reply_sent(created.message.id, &format!("demo-sent-{key}"), None)
        .await?;
    Ok(())
}

/// A few dozen conversations in the inbox, classified and with their deadlines, as if they had
/// arrived over the last day.
async fn seed_inbox(store: &Store, st: &mut State, now: DateTime<Utc>) -> anyhow::Result<()> {
    use owlery_domain::inbox::{AroundTheClock, Author, InboundMessage, MessageKind};
    use owlery_store::inbox::Incoming;
    use owlery_triage::Classifier as _;
    use owlery_triage::inbox::classification;

    let mut items = Vec::new();
    for (i, (handle, kind, author, name, text, ago, thread)) in INBOX.iter().enumerate() {
        let Some(channel) = find(&st.channels, handle) else {
            continue;
        };
        let kind = MessageKind::parse(kind).with_context(|| format!("kind {kind}"))?;
        let message = InboundMessage {
            channel,
            remote_id: format!("demo-{i}"),
            kind,
            author: Author {
                remote_id: format!("demo-user-{author}"),
                handle: (*author).to_owned(),
                name: (*name).to_owned(),
                followers: Some(37 + (i as u64 * 7919) % 25_000),
            },
            text: (*text).to_owned(),
            created_at: owlery_domain::audit::chain_time(now - Duration::minutes(*ago)),
            conversation_remote_id: (!thread.is_empty()).then(|| (*thread).to_owned()),
            in_reply_to_remote_id: None,
            media: Vec::new(),
            url: None,
        };
        let triage = classification(&st.classifier()?.classify(text));
        items.push(Incoming { message, triage });
    }
    store
        .ingest(&items, &AroundTheClock::default())
        .await
        .context("cannot store the demo messages")?;
    if let Some(org) = st.org {
        for (name, body, shortcut) in SAVED_REPLIES {
            let text =
                owlery_domain::inbox::reply::SavedReplyText::parse(name, body, Some(shortcut))
                    .map_err(|e| anyhow::anyhow!("demo saved reply {name}: {}", e.message))?;
            store
                .save_saved_reply(&Actor::system(), org, None, None, &text, None)
                .await
                .context("cannot store the demo saved replies")?;
        }
    }
    Ok(())
}

/// The demo's saved replies: (name, text with variables, shortcut).
const SAVED_REPLIES: [(&str, &str, &str); 3] = [
    (
        "Thanks for the kind words",
        "Thank you, {contact.first_name}! We are glad you enjoyed it. — {agent.name}, {channel.name}",
        "thanks",
    ),
    (
        "Sorry — we are on it",
        "Hi {contact.first_name}, sorry about this. Could you send us a direct message with your order number? We will sort it out today. — {agent.name}",
        "sorry",
    ),
    (
        "Opening hours",
        "Hi {contact.first_name}! We are open Monday to Saturday 8:00–19:00 and Sunday 10:00–16:00.",
        "hours",
    ),
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use owlery_store::{audit::AuditFilter, testing};

    use super::*;

    #[test]
    fn tables_are_consistent() {
        let handles: BTreeSet<&str> = CHANNELS.iter().map(|c| c.2).collect();
        let networks: BTreeSet<Network> = CHANNELS.iter().map(|c| c.3).collect();
        assert!(networks.len() >= 6, "{networks:?}");
        assert_eq!(handles.len(), CHANNELS.len(), "handles are unique");
        assert!((25..=35).contains(&CHANNELS.len()));
        for (ws, _, _, _) in CHANNELS {
            assert!(WORKSPACES.iter().any(|(k, _)| k == ws), "{ws}");
        }
        let roles: BTreeSet<Role> = PEOPLE
            .iter()
            .flat_map(|p| p.grants.iter().map(|(r, _)| *r))
            .collect();
        assert_eq!(roles.len(), Role::ALL.len(), "every role is represented");
        let zones: BTreeSet<&str> = PEOPLE.iter().map(|p| p.time_zone).collect();
        assert!(zones.len() >= 6);
        assert!(PEOPLE.iter().any(|p| p.language == "bg"));
        for p in PEOPLE {
            assert!(
                p.time_zone.parse::<chrono_tz::Tz>().is_ok(),
                "{}",
                p.time_zone
            );
            assert!(Email::parse(p.email).is_ok());
            if let Some(by) = p.invited_by {
                let inviter = &PEOPLE[person(by).unwrap()];
                assert!(
                    inviter.invited_on_day <= p.invited_on_day,
                    "{by} invites {} later",
                    p.email
                );
            }
        }
        assert_eq!(PEOPLE[0].grants[0].0, Role::Owner);
        for (team, members) in TEAMS {
            for m in *members {
                let p = &PEOPLE[person(m).unwrap()];
                assert!(
                    p.invited_on_day < TEAMS_DAY,
                    "{m} joins {team} before being invited"
                );
            }
        }
    }

    #[tokio::test]
    async fn seeds_a_month_of_valid_history_on_every_backend() {
        for db in testing::all_backends().await.unwrap() {
            let store = &db.store;
            let now = store.now();
            let lines = prepare(store, "http://127.0.0.1:8080").await.unwrap();
            assert!(
                lines
                    .iter()
                    .any(|l| l.contains("http://127.0.0.1:8080/setup/")),
                "{lines:?}"
            );

            assert_eq!(store.count_users().await.unwrap(), PEOPLE.len() as i64);
            assert_eq!(store.count_channels().await.unwrap(), CHANNELS.len() as i64);
            assert_eq!(
                store.list_workspaces().await.unwrap().len(),
                WORKSPACES.len()
            );
            let teams = store.list_teams().await.unwrap();
            assert_eq!(teams.len(), TEAMS.len());
            assert!(teams.iter().all(|t| !t.member_ids.is_empty()));
            let roles: BTreeSet<Role> = store
                .all_grants()
                .await
                .unwrap()
                .iter()
                .map(|g| g.role)
                .collect();
            assert_eq!(roles.len(), Role::ALL.len());

            let users = store.list_users(None, 100).await.unwrap();
            let owner = users.iter().find(|u| u.email == PEOPLE[0].email).unwrap();
            assert_eq!(
                owner.status,
                UserStatus::Invited,
                "the owner chooses a password via the link"
            );
            let tom = users.iter().find(|u| u.email.starts_with("tom.")).unwrap();
            assert_eq!(tom.status, UserStatus::Disabled);
            let active = users
                .iter()
                .filter(|u| u.status == UserStatus::Active)
                .count();
            assert!(active >= 10);
            assert!(users.iter().filter(|u| u.last_signin_at.is_some()).count() >= 10);

            let report = store.verify_audit_chain().await.unwrap();
            assert_eq!(report.result, Ok(()), "{}", store.backend_name());
            assert!(report.checked > 150, "{} events", report.checked);
            let events = store
                .audit_events(&AuditFilter::default(), 10_000)
                .await
                .unwrap();
            let oldest = events.iter().map(|e| e.at).min().unwrap();
            let newest = events.iter().map(|e| e.at).max().unwrap();
            assert!(oldest <= now - Duration::days(HISTORY_DAYS - 1), "{oldest}");
            assert!(newest <= store.now());
            assert!(
                newest >= now - Duration::days(4),
                "history reaches today: {newest}"
            );
            let actions: BTreeSet<&str> = events.iter().map(|e| e.entry.action.as_str()).collect();
            for a in [
                "org.create",
                "user.create",
                "user.setup",
                "session.signin",
                "session.signin_failed",
                "channel.create",
                "workspace.create",
                "team.create",
                "token.create",
                "token.revoke",
                "grant.create",
                "grant.revoke",
                "user.disable",
            ] {
                assert!(actions.contains(a), "{a} missing from {actions:?}");
            }

            // Posts in every state, consistent with the rules: published ones have their remote
            // post, scheduled ones their publish job, the Europe one waits for its approval.
            let workspaces: Vec<WorkspaceId> = store
                .list_workspaces()
                .await
                .unwrap()
                .iter()
                .map(|w| w.id)
                .collect();
            let posts = store.posts(&workspaces, None, 100).await.unwrap();
            assert_eq!(posts.len(), POSTS.len());
            let variants: Vec<_> = posts.iter().flat_map(|p| p.variants.iter()).collect();
            let count = |s: post::VariantStatus| variants.iter().filter(|v| v.status == s).count();
            assert!(count(post::VariantStatus::Published) >= 8, "{variants:#?}");
            assert!(count(post::VariantStatus::Scheduled) >= 8, "{variants:#?}");
            assert_eq!(count(post::VariantStatus::InReview), 3);
            assert_eq!(count(post::VariantStatus::Draft), 2);
            for v in &variants {
                assert!(!v.has_errors, "{v:?}");
                if v.status == post::VariantStatus::Published {
                    assert!(v.remote_id.as_deref().unwrap().starts_with("sim:"));
                    assert!(v.published_at.unwrap() < now);
                }
                if v.status == post::VariantStatus::Scheduled {
                    assert!(v.scheduled_at.unwrap() > now);
                }
            }
            for a in ["variant.publish", "post.submit", "review.approve"] {
                assert!(actions.contains(a), "{a} missing");
            }

            // The inbox's answered past gives the reports response times, first and later
            // answers, by the agents who gave them.
            let org = store.organisation().await.unwrap().unwrap();
            let scope = owlery_store::inbox::InboxScope::All;
            let (from, to) = (now - Duration::days(15), store.now() + Duration::seconds(1));
            let rows = store
                .inbox_report_rows(org.id, &scope, from, to, None)
                .await
                .unwrap();
            let replies = store
                .inbox_report_replies(org.id, &scope, from, to, None)
                .await
                .unwrap();
            let report = owlery_domain::inbox::report::Report::of(&rows, &replies, store.now());
            let answered = answered_history(&mut StdRng::seed_from_u64(1), now).len();
            assert!(
                report.total.all.replies as usize > answered / 2,
                "{:?}",
                report.total
            );
            assert!(report.total.all.first_response_median_secs.is_some());
            assert!(report.total.all.reply_median_secs.is_some());
            assert!(
                report.total.off_hours.replies > 0,
                "the care teams keep office hours: {:?}",
                report.total
            );
            assert!(
                report
                    .by_agent
                    .iter()
                    .any(|g| g.name.as_deref() == Some("Marcus Lee")
                        && g.figures.all.replies > 0
                        && g.figures.all.conversations > 0),
                "{:?}",
                report.by_agent
            );

            // A second start does not seed again; it prints a fresh link while the owner is invited.
            let again = prepare(store, "http://127.0.0.1:8080").await.unwrap();
            assert!(again.iter().any(|l| l.contains("/setup/")));
            assert!(
                !again
                    .iter()
                    .any(|l| l.contains("password (shown only now)"))
            );
            assert_eq!(store.count_users().await.unwrap(), PEOPLE.len() as i64);
        }
    }

    #[tokio::test]
    async fn refuses_a_database_with_someone_else_in_it() {
        let db = testing::sqlite().await.unwrap();
        db.store
            .ensure_organisation(&Actor::cli(), "Acme")
            .await
            .unwrap();
        let lines = prepare(&db.store, "http://x.example").await.unwrap();
        assert!(lines[0].contains("already has an organisation"));
        assert_eq!(db.store.count_users().await.unwrap(), 0);
    }
}
