//! The sandbox's simulated audience: realistic inbound traffic for the demo, training, drills and
//! load tests — questions, complaints, praise, sales leads, spam and abuse, in English, Bulgarian,
//! German and Spanish, as comments, mentions and DMs, with a daily rhythm and occasional bursts
//! (a complaint storm about one topic, the shape of a small crisis).
//!
//! Pure and deterministic: what arrives in a minute depends only on the seed and that minute, so
//! any split of a time span into polls yields the same messages with the same ids (and a poll
//! repeated after a crash yields nothing new once deduplicated). Each minute draws a Poisson
//! number of arrivals around the rate of the moment; authors come from a pool where a few write
//! often (so threads and returning contacts happen); followers are heavy-tailed.
//!
//! The texts are written to be plausible, not to suit the classifier: they are generated from
//! templates with varied fillers, and a share of them is deliberately ambiguous.

use chrono::{DateTime, Datelike, Duration, TimeZone, Timelike, Utc};
use owlery_domain::inbox::{Author, MessageKind};

use crate::inbox::InboxItem;

/// What a simulated message is meant to be (the generator's intent, not triage's verdict).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Meant {
    Question,
    Complaint,
    Praise,
    Lead,
    Spam,
    Abuse,
    Chatter,
}

/// How much traffic, and how bursty.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Profile {
    /// Average messages per hour at the daily peak.
    pub per_hour: f64,
    /// Expected bursts per day (0 for none).
    pub bursts_per_day: f64,
}

impl Default for Profile {
    /// One of a brand's many accounts: four messages an hour at the peak, a burst every few
    /// weeks (the demo's thirty channels together: about a hundred an hour, a burst a day or so).
    fn default() -> Profile {
        Profile {
            per_hour: 4.0,
            bursts_per_day: 0.05,
        }
    }
}

/// One channel's simulated audience.
#[derive(Debug, Clone)]
pub struct Traffic {
    seed: u64,
    profile: Profile,
}

/// A burst under way.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Burst {
    pub start: i64,
    pub minutes: i64,
    pub factor: f64,
    topic: usize,
}

/// The most arrivals drawn for one minute (keeps a misconfigured rate from running away).
const MAX_PER_MINUTE: u32 = 5_000;
/// Authors in a channel's pool.
const AUTHORS: u64 = 20_000;

impl Traffic {
    /// The audience of the channel named `seed_text` (its handle, say).
    pub fn new(seed_text: &str, profile: Profile) -> Traffic {
        Traffic {
            seed: fnv(seed_text.as_bytes()),
            profile,
        }
    }

    /// Messages written in the whole minutes from `from` (rounded down) up to `to` (rounded
    /// down, exclusive), oldest first. Comments go on `posts` (the account's recent posts, newest
    /// last); without any, on one made-up post a day.
    pub fn between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        posts: &[String],
    ) -> Vec<InboxItem> {
        let mut out = Vec::new();
        let (first, last) = (minute_of(from), minute_of(to));
        for m in first..last {
            self.minute(m, posts, &mut out);
        }
        out
    }

    /// Like [`Traffic::between`], but stops after the minute in which `max` messages are
    /// reached. Returns the messages and the minute to go on from.
    pub fn up_to(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        posts: &[String],
        max: usize,
    ) -> (Vec<InboxItem>, DateTime<Utc>) {
        let mut out = Vec::new();
        let (first, last) = (minute_of(from), minute_of(to));
        let mut m = first;
        while m < last && out.len() < max {
            self.minute(m, posts, &mut out);
            m += 1;
        }
        (out, time_of(m))
    }

    /// Messages per minute expected at minute `m` (since the Unix epoch).
    pub fn rate_at(&self, m: i64) -> f64 {
        let at = time_of(m);
        let hour = f64::from(at.hour()) + f64::from(at.minute()) / 60.0;
        // A day's rhythm: quiet at night, a plateau through the day, a rise in the evening.
        let day = 0.15 + 0.85 * bump(hour, 8.0, 23.0) * (0.8 + 0.2 * bump(hour, 18.0, 22.0));
        let week = match at.weekday().number_from_monday() {
            6 | 7 => 0.7,
            _ => 1.0,
        };
        let burst = self.burst_at(m).map_or(1.0, |b| b.factor);
        self.profile.per_hour / 60.0 * day * week * burst
    }

    /// The burst under way at minute `m`, if any. A burst starts within an hour with
    /// probability `bursts_per_day / 24`, lasts 20–90 minutes and multiplies the rate by 6–25.
    pub fn burst_at(&self, m: i64) -> Option<Burst> {
        if self.profile.bursts_per_day <= 0.0 {
            return None;
        }
        let hour = m.div_euclid(60);
        for h in [hour, hour - 1] {
            let mut r = Rng::new(self.seed ^ 0xB0B5_7000 ^ (h as u64).wrapping_mul(0x9E37));
            if r.unit() >= self.profile.bursts_per_day / 24.0 {
                continue;
            }
            let start = h * 60 + r.below(60) as i64;
            let minutes = 20 + r.below(71) as i64;
            let burst = Burst {
                start,
                minutes,
                factor: 6.0 + 19.0 * r.unit(),
                topic: r.below(BURST_TOPICS as u64) as usize,
            };
            if (start..start + minutes).contains(&m) {
                return Some(burst);
            }
        }
        None
    }

    fn minute(&self, m: i64, posts: &[String], out: &mut Vec<InboxItem>) {
        let mut r = Rng::new(self.seed ^ (m as u64).wrapping_mul(0xA24B_AED4_963E_E407));
        let burst = self.burst_at(m);
        let n = r.poisson(self.rate_at(m)).min(MAX_PER_MINUTE);
        let mut seconds: Vec<u32> = (0..n).map(|_| r.below(60) as u32).collect();
        seconds.sort_unstable();
        for (k, second) in seconds.into_iter().enumerate() {
            out.push(self.message(m, k, second, burst, posts, &mut r));
        }
    }

    fn message(
        &self,
        m: i64,
        k: usize,
        second: u32,
        burst: Option<Burst>,
        posts: &[String],
        r: &mut Rng,
    ) -> InboxItem {
        let created_at = time_of(m) + Duration::seconds(i64::from(second));
        let lang = pick(
            r,
            &[
                (Lang::En, 45),
                (Lang::Bg, 20),
                (Lang::De, 20),
                (Lang::Es, 15),
            ],
        );
        let meant = match burst {
            Some(_) => pick(
                r,
                &[
                    (Meant::Complaint, 70),
                    (Meant::Abuse, 10),
                    (Meant::Question, 15),
                    (Meant::Chatter, 5),
                ],
            ),
            None => pick(
                r,
                &[
                    (Meant::Question, 30),
                    (Meant::Complaint, 20),
                    (Meant::Praise, 22),
                    (Meant::Lead, 6),
                    (Meant::Spam, 10),
                    (Meant::Abuse, 4),
                    (Meant::Chatter, 8),
                ],
            ),
        };
        let kind = match meant {
            // Sales leads and many complaints go private; spam is mostly comments.
            Meant::Lead => pick(r, &[(MessageKind::Dm, 60), (MessageKind::Comment, 40)]),
            Meant::Spam => pick(r, &[(MessageKind::Comment, 80), (MessageKind::Mention, 20)]),
            _ => pick(
                r,
                &[
                    (MessageKind::Comment, 60),
                    (MessageKind::Mention, 22),
                    (MessageKind::Dm, 18),
                ],
            ),
        };
        let text = match (burst, meant) {
            (Some(b), Meant::Complaint) => burst_text(lang, b.topic, r),
            _ => text(lang, meant, r),
        };
        // A few authors write often: the cube skews the pick to the start of the pool.
        let author_index = (r.unit().powi(3) * AUTHORS as f64) as u64;
        let author = self.author(author_index, lang);
        let remote_id = format!("sim:{:x}:{m}:{k}", self.seed & 0xFFFF_FFFF);
        let (conversation, in_reply_to) = match kind {
            MessageKind::Comment => {
                let post = if posts.is_empty() {
                    format!("sim-post:{}", m.div_euclid(24 * 60))
                } else {
                    // Mostly the newest posts.
                    let back = (r.unit().powi(2) * posts.len().min(5) as f64) as usize;
                    posts[posts.len() - 1 - back].clone()
                };
                (Some(post.clone()), Some(post))
            }
            MessageKind::Dm => (Some(format!("sim-dm:{}", author.remote_id)), None),
            MessageKind::Mention => (None, None),
        };
        InboxItem {
            url: Some(format!("sandbox://inbox/{remote_id}")),
            remote_id,
            kind,
            author,
            text,
            created_at,
            conversation_remote_id: conversation,
            in_reply_to_remote_id: in_reply_to,
            media: Vec::new(),
        }
    }

    fn author(&self, index: u64, lang: Lang) -> Author {
        let mut r = Rng::new(self.seed ^ 0xA070_0000 ^ index.wrapping_mul(0x2545_F491));
        // The author's language is their own, not the message's: most write in one.
        let own = if r.unit() < 0.8 { lang } else { Lang::En };
        let (first, last) = names(own);
        let first = first[r.below(first.len() as u64) as usize];
        let last = last[r.below(last.len() as u64) as usize];
        let handle = format!(
            "{}{}{}",
            ascii_lower(first),
            ascii_lower(last).chars().next().unwrap_or('x'),
            index
        );
        // Heavy-tailed: most have a few hundred followers, a few have hundreds of thousands.
        let followers = (10f64.powf(1.0 + 4.7 * r.unit().powi(3))) as u64;
        Author {
            remote_id: format!("sim-user:{index}"),
            handle,
            name: format!("{first} {last}"),
            followers: Some(followers),
        }
    }
}

fn minute_of(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(60)
}

fn time_of(m: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(m * 60, 0).single().unwrap_or_default()
}

/// 1 inside [from, to) hours, with one-hour ramps on both sides.
fn bump(hour: f64, from: f64, to: f64) -> f64 {
    ((hour - from + 1.0).clamp(0.0, 1.0)).min((to - hour).clamp(0.0, 1.0))
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

fn ascii_lower(s: &str) -> String {
    let map = |c: char| match c {
        'ä' => "ae".into(),
        'ö' => "oe".into(),
        'ü' => "ue".into(),
        'ß' => "ss".into(),
        'á' | 'à' => "a".into(),
        'é' | 'è' => "e".into(),
        'í' => "i".into(),
        'ó' => "o".into(),
        'ú' => "u".into(),
        'ñ' => "n".into(),
        c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase().to_string(),
        c => transliterate(c).to_owned(),
    };
    s.chars().map(map).collect()
}

/// Bulgarian Cyrillic to Latin (the official streamlined system), for handles.
fn transliterate(c: char) -> &'static str {
    const TABLE: [(char, &str); 30] = [
        ('а', "a"),
        ('б', "b"),
        ('в', "v"),
        ('г', "g"),
        ('д', "d"),
        ('е', "e"),
        ('ж', "zh"),
        ('з', "z"),
        ('и', "i"),
        ('й', "y"),
        ('к', "k"),
        ('л', "l"),
        ('м', "m"),
        ('н', "n"),
        ('о', "o"),
        ('п', "p"),
        ('р', "r"),
        ('с', "s"),
        ('т', "t"),
        ('у', "u"),
        ('ф', "f"),
        ('х', "h"),
        ('ц', "ts"),
        ('ч', "ch"),
        ('ш', "sh"),
        ('щ', "sht"),
        ('ъ', "a"),
        ('ь', "y"),
        ('ю', "yu"),
        ('я', "ya"),
    ];
    let lower = c.to_lowercase().next().unwrap_or(c);
    TABLE
        .iter()
        .find(|(k, _)| *k == lower)
        .map_or("", |(_, v)| v)
}

/// splitmix64: small, fast, and the same on every platform and version (unlike `rand`'s
/// generators, whose streams may change between releases — the simulation must not).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut r = Rng(seed);
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// In [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// In [0, n); 0 when n is 0.
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    /// A Poisson draw with mean `lambda` (Knuth's method; a normal approximation above 30).
    fn poisson(&mut self, lambda: f64) -> u32 {
        if lambda.is_nan() || lambda <= 0.0 {
            return 0;
        }
        if lambda > 30.0 {
            // Box–Muller.
            let (u, v) = (self.unit().max(f64::MIN_POSITIVE), self.unit());
            let z = (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos();
            return (lambda + z * lambda.sqrt()).round().max(0.0) as u32;
        }
        let limit = (-lambda).exp();
        let (mut k, mut p) = (0u32, 1.0);
        loop {
            p *= self.unit();
            if p <= limit {
                return k;
            }
            k += 1;
        }
    }
}

fn pick<T: Copy>(r: &mut Rng, weighted: &[(T, u32)]) -> T {
    let total: u32 = weighted.iter().map(|(_, w)| w).sum();
    let mut x = r.below(u64::from(total)) as u32;
    for (v, w) in weighted {
        if x < *w {
            return *v;
        }
        x -= w;
    }
    weighted[0].0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    En,
    Bg,
    De,
    Es,
}

fn names(lang: Lang) -> (&'static [&'static str], &'static [&'static str]) {
    match lang {
        Lang::En => (
            &[
                "Emma", "Oliver", "Amelia", "Jack", "Sophie", "Harry", "Grace", "Noah", "Chloe",
                "Leo", "Priya", "Samir", "Aisha", "Daniel", "Megan",
            ],
            &[
                "Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Patel", "Khan", "Walker",
                "Wright", "Hughes", "Green",
            ],
        ),
        Lang::Bg => (
            &[
                "Иван",
                "Мария",
                "Георги",
                "Елена",
                "Димитър",
                "Десислава",
                "Николай",
                "Петя",
                "Стефан",
                "Радост",
                "Калоян",
                "Виктория",
            ],
            &[
                "Иванов",
                "Петрова",
                "Георгиев",
                "Димитрова",
                "Николов",
                "Стоянова",
                "Тодоров",
                "Василева",
                "Христов",
                "Ангелова",
            ],
        ),
        Lang::De => (
            &[
                "Lukas",
                "Mia",
                "Jonas",
                "Hannah",
                "Felix",
                "Lea",
                "Paul",
                "Marie",
                "Jürgen",
                "Sabine",
                "Emre",
                "Katharina",
            ],
            &[
                "Müller",
                "Schmidt",
                "Schneider",
                "Fischer",
                "Weber",
                "Becker",
                "Hoffmann",
                "Schäfer",
                "Koch",
                "Yılmaz",
                "Wagner",
            ],
        ),
        Lang::Es => (
            &[
                "Lucía", "Hugo", "Martina", "Mateo", "Sofía", "Pablo", "Valeria", "Álvaro",
                "Carmen", "Javier", "Daniela", "Diego",
            ],
            &[
                "García",
                "Fernández",
                "López",
                "Martínez",
                "Sánchez",
                "Pérez",
                "Gómez",
                "Ruiz",
                "Díaz",
                "Moreno",
            ],
        ),
    }
}

/// Fill `{p}` (a product), `{w}` (a time) and `{n}` (a number) in a template.
fn fill(template: &str, lang: Lang, r: &mut Rng) -> String {
    let (products, times): (&[&str], &[&str]) = match lang {
        Lang::En => (
            &[
                "order",
                "espresso machine",
                "gift card",
                "subscription",
                "grinder",
                "app",
            ],
            &[
                "yesterday",
                "last week",
                "this morning",
                "on Monday",
                "two weeks ago",
            ],
        ),
        Lang::Bg => (
            &[
                "поръчката",
                "кафемашината",
                "картата за подарък",
                "абонамента",
                "мелачката",
                "приложението",
            ],
            &[
                "вчера",
                "миналата седмица",
                "тази сутрин",
                "в понеделник",
                "преди две седмици",
            ],
        ),
        Lang::De => (
            &[
                "Bestellung",
                "Espressomaschine",
                "Gutschein",
                "Abo",
                "Mühle",
                "App",
            ],
            &[
                "gestern",
                "letzte Woche",
                "heute Morgen",
                "am Montag",
                "vor zwei Wochen",
            ],
        ),
        Lang::Es => (
            &[
                "pedido",
                "cafetera",
                "tarjeta regalo",
                "suscripción",
                "molinillo",
                "app",
            ],
            &[
                "ayer",
                "la semana pasada",
                "esta mañana",
                "el lunes",
                "hace dos semanas",
            ],
        ),
    };
    let product = products[r.below(products.len() as u64) as usize];
    let time = times[r.below(times.len() as u64) as usize];
    let number = 2 + r.below(40);
    template
        .replace("{p}", product)
        .replace("{w}", time)
        .replace("{n}", &number.to_string())
}

fn text(lang: Lang, meant: Meant, r: &mut Rng) -> String {
    let templates = templates(lang, meant);
    let t = templates[r.below(templates.len() as u64) as usize];
    let mut s = fill(t, lang, r);
    // Some write without capitals or punctuation, some add an emoji.
    match r.below(10) {
        0 => s = s.to_lowercase(),
        1 => {
            let emoji = match meant {
                Meant::Praise => " 😍",
                Meant::Complaint | Meant::Abuse => " 😡",
                Meant::Question | Meant::Lead => " 🙏",
                _ => " 👀",
            };
            s.push_str(emoji);
        }
        _ => {}
    }
    s
}

const BURST_TOPICS: usize = 3;

fn burst_text(lang: Lang, topic: usize, r: &mut Rng) -> String {
    let topics: [&[&str]; BURST_TOPICS] = match lang {
        Lang::En => [
            &[
                "Your app has been down for an hour and I can't pay",
                "Is the app broken? Payment fails every time",
                "App keeps crashing at checkout, fix it",
            ],
            &[
                "Why was I charged twice for my {p}?!",
                "Double charge on my card again, this is not ok",
                "You took the money twice, I want it back today",
            ],
            &[
                "Found glass in my {p}. Disgusting and dangerous",
                "Is it true about the contaminated batch? My kids drank it",
                "Recall your product now, people are getting sick",
            ],
        ],
        Lang::Bg => [
            &[
                "Приложението не работи от час и не мога да платя",
                "Плащането пак не минава, какво става с приложението?",
                "Приложението се срива при плащане, оправете го",
            ],
            &[
                "Защо ми взехте два пъти парите за {p}?!",
                "Пак двойно таксуване на картата, това е недопустимо",
            ],
            &[
                "Намерих стъкло в {p}. Отвратително и опасно",
                "Вярно ли е за замърсената партида? Децата ми пиха от него",
            ],
        ],
        Lang::De => [
            &[
                "Die App ist seit einer Stunde down, ich kann nicht bezahlen",
                "Zahlung schlägt ständig fehl, ist die App kaputt?",
            ],
            &[
                "Warum wurde meine {p} doppelt abgebucht?!",
                "Schon wieder doppelt abgebucht, das geht gar nicht",
            ],
            &[
                "Glassplitter in meiner {p}. Ekelhaft und gefährlich",
                "Stimmt das mit der verunreinigten Charge? Meine Kinder haben davon getrunken",
            ],
        ],
        Lang::Es => [
            &[
                "La app lleva una hora caída y no puedo pagar",
                "¿Está rota la app? El pago falla cada vez",
            ],
            &[
                "¿Por qué me cobrasteis dos veces el {p}?",
                "Otra vez doble cargo en mi tarjeta, inaceptable",
            ],
            &[
                "He encontrado cristal en mi {p}. Asqueroso y peligroso",
                "¿Es verdad lo del lote contaminado? Mis hijos lo bebieron",
            ],
        ],
    };
    let set = topics[topic % BURST_TOPICS];
    fill(set[r.below(set.len() as u64) as usize], lang, r)
}

fn templates(lang: Lang, meant: Meant) -> &'static [&'static str] {
    use Meant::*;
    match (lang, meant) {
        (Lang::En, Question) => &[
            "Where is my {p}? Ordered it {w}",
            "Do you ship to Ireland?",
            "What time do you open on Sundays?",
            "Can I change the delivery address for my {p}?",
            "Is the {p} still on sale?",
            "How do I cancel my {p}",
        ],
        (Lang::En, Complaint) => &[
            "My {p} arrived broken. Not happy at all",
            "Waited {n} minutes on hold and nobody answered",
            "Still no refund for my {p}, it's been {w}",
            "The {p} stopped working after {n} days. Poor quality",
            "Rude staff at the shop {w}",
        ],
        (Lang::En, Praise) => &[
            "Love my new {p}, thank you!",
            "Best coffee in town, as always",
            "Great service {w}, the team was lovely",
            "The {p} is brilliant, worth every penny",
            "Thanks for sorting that out so quickly",
        ],
        (Lang::En, Lead) => &[
            "Do you offer discounts for {n} office machines?",
            "We'd like to order {p}s for our team, who do I talk to?",
            "Interested in wholesale pricing for our café",
        ],
        (Lang::En, Spam) => &[
            "Earn $500 a day from home, DM me now",
            "Check my profile for free followers!!!",
            "Crypto giveaway, send 1 BTC get 2 back",
        ],
        (Lang::En, Abuse) => &[
            "You are all idiots and your {p} is garbage",
            "Shut up, nobody cares, pathetic company",
            "Whoever runs this account is a clown",
        ],
        (Lang::En, Chatter) => &[
            "Anyone else here {w}?",
            "haha same",
            "Tagging my friend who needs this",
            "Nice picture",
        ],
        (Lang::Bg, Question) => &[
            "Къде е {p}? Поръчах {w}",
            "Доставяте ли до Варна?",
            "До колко часа работите в неделя?",
            "Мога ли да сменя адреса за доставка?",
            "Още ли е в промоция {p}?",
        ],
        (Lang::Bg, Complaint) => &[
            "{p} пристигна счупена. Много съм разочарован",
            "Чаках {n} минути на телефона и никой не вдигна",
            "Още няма възстановяване на сумата, а беше {w}",
            "Грубо обслужване в магазина {w}",
        ],
        (Lang::Bg, Praise) => &[
            "Много ми харесва {p}, благодаря!",
            "Най-доброто кафе в града",
            "Страхотно обслужване {w}, благодаря на екипа",
            "Благодаря, че го оправихте толкова бързо",
        ],
        (Lang::Bg, Lead) => &[
            "Имате ли отстъпка за {n} машини за офиса?",
            "Искаме да поръчаме за целия екип, с кого да се свържа?",
        ],
        (Lang::Bg, Spam) => &[
            "Печели 500 лв на ден от вкъщи, пиши ми",
            "Безплатни последователи, виж профила ми!!!",
        ],
        (Lang::Bg, Abuse) => &[
            "Всички сте идиоти, а {p} ви е боклук",
            "Млъкнете, никой не се интересува, жалка фирма",
        ],
        (Lang::Bg, Chatter) => &["Някой друг тук ли е?", "хаха и аз", "Хубава снимка"],
        (Lang::De, Question) => &[
            "Wo bleibt meine {p}? Bestellt {w}",
            "Liefert ihr auch nach Österreich?",
            "Habt ihr sonntags geöffnet?",
            "Kann ich die Lieferadresse noch ändern?",
        ],
        (Lang::De, Complaint) => &[
            "Meine {p} kam kaputt an. Sehr enttäuschend",
            "{n} Minuten in der Warteschleife und niemand geht ran",
            "Immer noch keine Erstattung, seit {w}",
            "Unfreundliches Personal im Laden {w}",
        ],
        (Lang::De, Praise) => &[
            "Ich liebe meine neue {p}, danke!",
            "Bester Kaffee der Stadt",
            "Super Service {w}, tolles Team",
            "Danke für die schnelle Hilfe",
        ],
        (Lang::De, Lead) => &[
            "Gibt es Rabatt für {n} Maschinen fürs Büro?",
            "Wir möchten für unser Team bestellen, wer ist zuständig?",
        ],
        (Lang::De, Spam) => &[
            "Verdiene 500 € am Tag von zu Hause, schreib mir",
            "Gratis Follower, schau auf mein Profil!!!",
        ],
        (Lang::De, Abuse) => &[
            "Ihr seid alle Idioten und eure {p} ist Müll",
            "Haltet die Klappe, erbärmliche Firma",
        ],
        (Lang::De, Chatter) => &["Noch jemand hier?", "haha genau", "Schönes Foto"],
        (Lang::Es, Question) => &[
            "¿Dónde está mi {p}? Lo pedí {w}",
            "¿Hacéis envíos a Canarias?",
            "¿Abrís los domingos?",
            "¿Puedo cambiar la dirección de entrega?",
        ],
        (Lang::Es, Complaint) => &[
            "Mi {p} llegó roto. Muy decepcionado",
            "Esperé {n} minutos al teléfono y nadie contestó",
            "Todavía sin reembolso desde {w}",
            "Trato muy borde en la tienda {w}",
        ],
        (Lang::Es, Praise) => &[
            "Me encanta mi nueva {p}, ¡gracias!",
            "El mejor café de la ciudad",
            "Un servicio genial {w}, gracias al equipo",
            "Gracias por resolverlo tan rápido",
        ],
        (Lang::Es, Lead) => &[
            "¿Tenéis descuento para {n} máquinas de oficina?",
            "Queremos hacer un pedido para la empresa, ¿con quién hablo?",
        ],
        (Lang::Es, Spam) => &[
            "Gana 500 € al día desde casa, escríbeme",
            "Seguidores gratis, mira mi perfil!!!",
        ],
        (Lang::Es, Abuse) => &[
            "Sois todos idiotas y vuestra {p} es basura",
            "Callaos, a nadie le importa, empresa patética",
        ],
        (Lang::Es, Chatter) => &[
            "¿Alguien más por aquí?",
            "jaja igual",
            "Qué foto tan bonita",
        ],
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn day() -> (DateTime<Utc>, DateTime<Utc>) {
        let from = Utc
            .with_ymd_and_hms(2026, 11, 23, 0, 0, 0)
            .single()
            .unwrap_or_default();
        (from, from + Duration::days(7))
    }

    #[test]
    fn any_split_into_polls_gives_the_same_messages() {
        let t = Traffic::new("brand.test", Profile::default());
        let (from, to) = day();
        let whole = t.between(from, to, &[]);
        let mut parts = Vec::new();
        let mut at = from;
        let mut step = 7;
        while at < to {
            let next = (at + Duration::minutes(step)).min(to);
            parts.extend(t.between(at, next, &[]));
            at = next;
            step = step * 3 % 101 + 1;
        }
        assert_eq!(whole, parts);
        let ids: HashSet<&str> = whole.iter().map(|m| m.remote_id.as_str()).collect();
        assert_eq!(ids.len(), whole.len(), "ids are unique");
        assert!(whole.windows(2).all(|w| w[0].created_at <= w[1].created_at));
        // Another channel hears from another audience.
        let other = Traffic::new("other.test", Profile::default()).between(from, to, &[]);
        assert_ne!(other, whole);
    }

    #[test]
    fn a_week_has_the_mix_rhythm_and_threads_of_a_real_account() {
        let profile = Profile {
            per_hour: 60.0,
            bursts_per_day: 1.0,
        };
        let t = Traffic::new("busy.test", profile);
        let (from, to) = day();
        let week = t.between(from, to, &["post-1".into(), "post-2".into()]);
        // About the configured volume (peaks at 60/h, quiet nights, softer weekends, bursts).
        assert!((3_000..20_000).contains(&week.len()), "{}", week.len());
        let kinds: HashSet<MessageKind> = week.iter().map(|m| m.kind).collect();
        assert_eq!(kinds.len(), 3);
        // Night is quieter than the afternoon.
        let at_hour = |h: u32| week.iter().filter(|m| m.created_at.hour() == h).count();
        assert!(
            at_hour(3) * 3 < at_hour(15),
            "{} vs {}",
            at_hour(3),
            at_hour(15)
        );
        // Several languages (by script and by characteristic letters).
        assert!(
            week.iter()
                .any(|m| m.text.chars().any(|c| ('а'..='я').contains(&c)))
        );
        assert!(
            week.iter()
                .any(|m| m.text.contains('ñ') || m.text.contains('¿'))
        );
        assert!(
            week.iter()
                .any(|m| m.text.contains('ü') || m.text.contains("ihr"))
        );
        // Returning authors: a good share of messages come from people who wrote before.
        let mut per_author: std::collections::HashMap<&str, usize> = Default::default();
        for m in &week {
            *per_author.entry(m.author.remote_id.as_str()).or_default() += 1;
        }
        let returning: usize = per_author.values().filter(|n| **n > 1).sum();
        assert!(
            returning * 100 / week.len() >= 15,
            "{returning} of {}",
            week.len()
        );
        // Comments are on the given posts.
        assert!(
            week.iter()
                .filter(|m| m.kind == MessageKind::Comment)
                .all(|m| m
                    .conversation_remote_id
                    .as_deref()
                    .is_some_and(|p| p.starts_with("post-")))
        );
        // At least one burst in a week at one a day, and it is mostly complaints on one topic.
        let minutes = (minute_of(from)..minute_of(to)).filter(|m| t.burst_at(*m).is_some());
        assert!(minutes.count() >= 20);
    }

    #[test]
    fn no_traffic_means_none_and_caps_hold() {
        let quiet = Traffic::new(
            "quiet.test",
            Profile {
                per_hour: 0.0,
                bursts_per_day: 0.0,
            },
        );
        let (from, to) = day();
        assert!(quiet.between(from, to, &[]).is_empty());
        let loud = Traffic::new(
            "loud.test",
            Profile {
                per_hour: 1e12,
                bursts_per_day: 0.0,
            },
        );
        let (items, next) = loud.up_to(from, to, &[], 10);
        assert_eq!(items.len(), MAX_PER_MINUTE as usize, "one minute, capped");
        assert_eq!(next, from + Duration::minutes(1));
    }

    #[test]
    fn poisson_draws_average_to_their_mean() {
        let mut r = Rng::new(42);
        for lambda in [0.2, 3.0, 45.0] {
            let n = 20_000;
            let sum: u64 = (0..n).map(|_| u64::from(r.poisson(lambda))).sum();
            let mean = sum as f64 / f64::from(n);
            assert!(
                (mean - lambda).abs() < lambda * 0.05 + 0.02,
                "{lambda}: {mean}"
            );
        }
    }

    #[test]
    fn handles_are_ascii() {
        let t = Traffic::new("x", Profile::default());
        for i in 0..500 {
            for lang in [Lang::En, Lang::Bg, Lang::De, Lang::Es] {
                let a = t.author(i, lang);
                assert!(
                    a.handle.chars().all(|c| c.is_ascii_alphanumeric()),
                    "{}",
                    a.handle
                );
            }
        }
    }
}
