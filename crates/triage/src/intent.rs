//! Intent and urgency: transparent rules over language-aware cue words combined with sentiment.
//!
//! Each intent collects evidence from its cues (a cue is a word, a phrase of words, or a stem
//! ending in `*` that matches any word it begins); English cues apply to every message (brand and
//! product talk mixes in English), the message's own language adds its list. Evidence per intent:
//! - **abuse**: insults and harassment vocabulary (2 per cue) — outranks everything;
//! - **spam**: promotion vocabulary together with a link (2 + 1 per further cue); promotion
//!   without a link counts half;
//! - **lead**: purchase intent — pricing, quotes, demos, wanting to buy (1.5 per cue) — and the
//!   purchase words that could go either way ("order", "subscription": 1.5 per cue), these only
//!   when the message has no existing-customer cue;
//! - **complaint**: complaint vocabulary (1 per cue) plus the negative sentiment probability
//!   above 0.5 (×2);
//! - **question**: a `?` or an interrogative opening (1), plus 0.5 when the author speaks as an
//!   existing customer;
//! - **praise**: thanks and praise vocabulary (1 per cue) plus the positive probability above
//!   0.5 (×2);
//! - **other**: a constant 0.5, so a message with no cue at all is "other".
//!
//! Existing-customer cues say the author already bought: a possessive before the purchase
//! ("my order", "meine Bestellung"), a past-tense purchase ("I ordered", "поръчах", "compré"),
//! or after-sales words (tracking, refund, return, warranty, invoice). Someone asking where
//! their order is, or for their money back, is a customer needing support (a question, or a
//! complaint when the words or the sentiment say so), not a sales lead; a customer who asks
//! for the price of something else still is one (the explicit purchase-intent cues still
//! count).
//!
//! Scores are evidence / total. The winner is the highest score; ties go to the order above.
//! Urgency starts from the intent and rises with strong negative sentiment and urgency words.

use std::sync::LazyLock;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::lang::Known;
use crate::text::{Kind, Token};
use crate::{Sentiment, SentimentScores};

/// What the author wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Intent {
    Abuse,
    Spam,
    Lead,
    Complaint,
    Question,
    Praise,
    Other,
}

impl Intent {
    /// In tie-break order.
    pub const ALL: [Intent; 7] = [
        Intent::Abuse,
        Intent::Spam,
        Intent::Lead,
        Intent::Complaint,
        Intent::Question,
        Intent::Praise,
        Intent::Other,
    ];
}

/// Intent probabilities-like scores (evidence shares), summing to 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct IntentScores {
    pub abuse: f32,
    pub spam: f32,
    pub lead: f32,
    pub complaint: f32,
    pub question: f32,
    pub praise: f32,
    pub other: f32,
}

impl IntentScores {
    pub fn get(&self, intent: Intent) -> f32 {
        match intent {
            Intent::Abuse => self.abuse,
            Intent::Spam => self.spam,
            Intent::Lead => self.lead,
            Intent::Complaint => self.complaint,
            Intent::Question => self.question,
            Intent::Praise => self.praise,
            Intent::Other => self.other,
        }
    }
}

/// How soon a person should look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Urgency {
    Low,
    Normal,
    High,
    Critical,
}

struct Cues {
    abuse: &'static [&'static str],
    promo: &'static [&'static str],
    /// Explicit purchase intent: pricing, quotes, demos, wanting to buy.
    lead: &'static [&'static str],
    /// Purchase words that a prospect and a customer both use ("order"): lead evidence only
    /// without a `customer` cue.
    purchase: &'static [&'static str],
    /// The author already bought: possessive + purchase, past-tense purchases, after-sales words.
    customer: &'static [&'static str],
    complaint: &'static [&'static str],
    praise: &'static [&'static str],
    interrogative: &'static [&'static str],
    urgent: &'static [&'static str],
}

const EN: Cues = Cues {
    abuse: &[
        "idiot*",
        "stupid",
        "moron*",
        "retard*",
        "fuck you",
        "fucking idiot",
        "shut up",
        "loser*",
        "scum",
        "bitch*",
        "asshole*",
        "kill yourself",
        "kys",
        "dumbass",
        "piece of shit",
        "die in",
    ],
    promo: &[
        "free",
        "win",
        "winner",
        "giveaway",
        "discount",
        "promo",
        "click",
        "follow back",
        "followers",
        "crypto",
        "bitcoin",
        "earn",
        "cash",
        "dm me",
        "check out my",
        "limited offer",
        "% off",
        "subscribe to my",
    ],
    lead: &[
        "price",
        "pricing",
        "how much",
        "quote",
        "buy",
        "interested in",
        "demo",
        "trial",
        "plan for",
        "do you ship",
        "available in",
        "wholesale",
        "bulk",
    ],
    purchase: &["order", "purchase", "subscription"],
    customer: &[
        "my order*",
        "our order*",
        "my package*",
        "my parcel*",
        "my delivery",
        "my shipment",
        "my purchase*",
        "my subscription",
        "my account",
        "my invoice",
        "my money",
        "i ordered",
        "we ordered",
        "i bought",
        "we bought",
        "i purchased",
        "we purchased",
        "i paid",
        "we paid",
        "was charged",
        "been charged",
        "order number",
        "tracking",
        "refund*",
        "return it",
        "send it back",
        "warranty",
        "hasn't arrived",
        "has not arrived",
        "never arrived",
        "wrong item",
        "cancel my",
    ],
    complaint: &[
        "refund",
        "broken",
        "doesn't work",
        "does not work",
        "not working",
        "still waiting",
        "cancel*",
        "worst",
        "terrible",
        "awful",
        "delay*",
        "late again",
        "complain*",
        "disappoint*",
        "never arrived",
        "charged twice",
        "scam",
        "useless",
        "unacceptable",
        "rude",
    ],
    praise: &[
        "thank*",
        "thx",
        "love",
        "great",
        "awesome",
        "amazing",
        "excellent",
        "perfect",
        "kudos",
        "well done",
        "best",
        "fantastic",
        "brilliant",
        "recommend",
    ],
    interrogative: &[
        "how", "what", "why", "when", "where", "who", "which", "can", "could", "do", "does", "is",
        "are", "will", "would", "should", "anyone",
    ],
    urgent: &[
        "urgent*",
        "asap",
        "immediately",
        "emergency",
        "right now",
        "help",
    ],
};

const BG: Cues = Cues {
    abuse: &[
        "идиот*",
        "тъп",
        "тъпа",
        "тъпи",
        "тъпак*",
        "простак*",
        "боклук",
        "кретен*",
        "педал*",
        "майната",
        "млъкни",
        "дебил*",
        "урод*",
        "лайно",
    ],
    promo: &[
        "безплатн*",
        "спечели*",
        "отстъпк*",
        "промоци*",
        "кликни",
        "абонирай",
        "последвай",
        "печелете",
        "игра за",
    ],
    lead: &[
        "цена",
        "цени",
        "цената",
        "колко струва",
        "колко е",
        "купя",
        "купувам",
        "да поръчам",
        "поръчвам",
        "оферта",
        "интересувам",
        "демо",
        "доставяте",
        "наличн*",
    ],
    purchase: &["поръчк*", "абонамент*"],
    customer: &[
        "моята поръчка",
        "поръчката ми",
        // The reflexive possessive ("my own"), as common as "ми" after the noun.
        "поръчката си",
        "пратката си",
        "парите си",
        "абонамента си",
        "поръчките ми",
        "пратката ми",
        "пратката",
        "доставката ми",
        "абонамента ми",
        "абонаментът ми",
        "сметката ми",
        "парите ми",
        "поръчах",
        "поръчахме",
        "купих",
        "купихме",
        "платих",
        "платихме",
        "таксуван*",
        "номер на поръчка*",
        "проследяване*",
        "възстановяване на сумата",
        "върнете ми",
        "върнете парите",
        "гаранци*",
        "не е пристигнал*",
        "не пристигна",
        "не е доставен*",
    ],
    complaint: &[
        "оплакване",
        "не работи",
        "счупен*",
        "закъсн*",
        "върнете",
        "рекламаци*",
        "ужасн*",
        "отвратителн*",
        "най-лош*",
        "измам*",
        "още чакам",
        "недоволн*",
        "безобразие",
    ],
    praise: &[
        "благодар*",
        "мерси",
        "страхотн*",
        "супер",
        "браво",
        "обичам",
        "отличн*",
        "перфектн*",
        "препоръчвам",
        "чудесн*",
        "прекрасн*",
    ],
    interrogative: &[
        "как",
        "какво",
        "защо",
        "кога",
        "къде",
        "кой",
        "коя",
        "кое",
        "може",
        "дали",
        "има",
        "ли",
    ],
    urgent: &["спешно", "веднага", "незабавно", "помощ", "авария"],
};

const DE: Cues = Cues {
    abuse: &[
        "idiot*",
        "dumm*",
        "blöd*",
        "arschloch*",
        "wichser*",
        "halt die fresse",
        "halts maul",
        "vollidiot*",
        "spast*",
        "hurensohn*",
        "penner*",
        "trottel*",
    ],
    promo: &[
        "gratis",
        "kostenlos*",
        "gewinn*",
        "rabatt*",
        "klick*",
        "gutschein*",
        "angebot nur",
        "folgt mir",
        "verlosung",
    ],
    lead: &[
        "preis*",
        "kosten",
        "was kostet",
        "wie viel",
        "kaufen",
        "bestellen",
        "angebot",
        "interessiert",
        "demo",
        "liefern sie",
        "verfügbar",
    ],
    purchase: &["bestellung", "abo", "abonnement"],
    customer: &[
        "meine bestellung*",
        "meiner bestellung*",
        "unsere bestellung*",
        "mein paket*",
        "meine lieferung",
        "meine sendung",
        "mein abo*",
        "meinen abo*",
        "mein konto",
        "mein geld",
        "bestellt",
        "gekauft",
        "bezahlt",
        "abgebucht",
        "sendungsnummer",
        "sendungsverfolgung",
        "bestellnummer",
        "rückerstattung",
        "erstattung",
        "geld zurück",
        "rücksendung",
        "retoure*",
        "umtausch*",
        "reklamation",
        "garantie",
        "nicht angekommen",
        "nicht geliefert",
        "kündigen",
    ],
    complaint: &[
        "verspät*",
        "ausfall",
        "ausgefallen",
        "kaputt",
        "beschwerde*",
        "erstattung",
        "funktioniert nicht",
        "geht nicht",
        "schon wieder",
        "katastroph*",
        "unzumutbar",
        "frechheit",
        "schlecht*",
        "warte*",
        "stornier*",
        "enttäusch*",
    ],
    praise: &[
        "dank*",
        "super",
        "toll*",
        "klasse",
        "großartig*",
        "liebe",
        "perfekt*",
        "prima",
        "spitze",
        "empfehle*",
        "hervorragend*",
        "lob",
    ],
    interrogative: &[
        "wie", "was", "warum", "wieso", "weshalb", "wann", "wo", "wer", "welche*", "kann",
        "können", "gibt", "ist", "sind", "habt", "hat",
    ],
    urgent: &["dringend*", "sofort", "notfall", "hilfe", "eilig"],
};

const ES: Cues = Cues {
    abuse: &[
        "idiota*",
        "estúpid*",
        "imbécil*",
        "pendej*",
        "cabrón*",
        "gilipollas",
        "mierda",
        "puta*",
        "cállate",
        "subnormal*",
        "tonto*",
        "inútil*",
    ],
    promo: &[
        "gratis",
        "gana",
        "ganar",
        "sorteo",
        "descuento*",
        "promo*",
        "clic",
        "oferta limitada",
        "sígueme",
        "regalo*",
    ],
    lead: &[
        "precio*",
        "cuánto cuesta",
        "cuánto vale",
        "cuanto cuesta",
        "comprar",
        "presupuesto",
        "cotización",
        "interesad*",
        "demo",
        "envían",
        "disponible",
    ],
    purchase: &["pedido", "pedidos", "suscripción"],
    customer: &[
        "mi pedido",
        "mis pedidos",
        "nuestro pedido",
        "mi paquete",
        "mi envío",
        "mi compra",
        "mi suscripción",
        "mi cuenta",
        "mi dinero",
        "compré",
        "he comprado",
        "pedí",
        "he pedido",
        "pagué",
        "he pagado",
        "me cobraron",
        "me han cobrado",
        "número de pedido",
        "seguimiento",
        "reembolso",
        "devolución",
        "devolver",
        "garantía",
        "no ha llegado",
        "no llegó",
        "factura",
    ],
    complaint: &[
        "reembolso",
        "queja*",
        "reclamación",
        "no funciona",
        "roto",
        "rota",
        "retraso*",
        "sigo esperando",
        "cancelar",
        "pésim*",
        "horrible",
        "vergüenza",
        "estafa",
        "decepcion*",
        "fatal",
    ],
    praise: &[
        "gracias",
        "genial",
        "encanta",
        "excelente",
        "increíble",
        "perfect*",
        "felicidades",
        "enhorabuena",
        "recomiendo",
        "maravill*",
        "buenísim*",
    ],
    interrogative: &[
        "cómo", "qué", "por qué", "cuándo", "dónde", "quién", "cuál", "puedo", "pueden", "hay",
        "tienen",
    ],
    urgent: &[
        "urgente*",
        "inmediatamente",
        "ya mismo",
        "emergencia",
        "ayuda",
    ],
};

/// The cue lists in matcher order: English (always on) first, then each language's own.
const LISTS: [(Option<Known>, &Cues); 4] = [
    (None, &EN),
    (Some(Known::Bg), &BG),
    (Some(Known::De), &DE),
    (Some(Known::Es), &ES),
];

/// What a cue is evidence of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    Abuse,
    Promo,
    Lead,
    Purchase,
    Customer,
    Complaint,
    Praise,
    Interrogative,
    Urgent,
}

const CATEGORIES: usize = 9;

/// One word of a cue: the word itself, or a stem (`refund*`) that any word it begins matches.
#[derive(Debug, Clone, Copy)]
enum Part {
    Exact(&'static str),
    Stem(&'static str),
}

impl Part {
    fn parse(part: &'static str) -> Part {
        match part.strip_suffix('*') {
            Some(stem) => Part::Stem(stem),
            None => Part::Exact(part),
        }
    }

    fn matches(self, word: &str) -> bool {
        match self {
            Part::Exact(p) => word == p,
            Part::Stem(stem) => word.starts_with(stem),
        }
    }
}

struct Cue {
    /// Index into [`LISTS`].
    list: u8,
    category: Category,
    parts: Vec<Part>,
}

/// Every cue of every list, indexed by its first word: exact first words in a hash table, stems
/// by their first character. Matching a message is then one lookup (plus a few stems) per word
/// instead of a scan of every list.
struct Matcher {
    cues: Vec<Cue>,
    exact: FxHashMap<&'static str, Vec<u16>>,
    stems: FxHashMap<char, Vec<u16>>,
}

/// Room for this many cues in the per-message "found" set.
const MAX_CUES: usize = 1024;

static MATCHER: LazyLock<Matcher> = LazyLock::new(|| {
    let mut m = Matcher {
        cues: Vec::new(),
        exact: FxHashMap::default(),
        stems: FxHashMap::default(),
    };
    for (list, (_, c)) in (0u8..).zip(LISTS) {
        for (category, cues) in [
            (Category::Abuse, c.abuse),
            (Category::Promo, c.promo),
            (Category::Lead, c.lead),
            (Category::Purchase, c.purchase),
            (Category::Customer, c.customer),
            (Category::Complaint, c.complaint),
            (Category::Praise, c.praise),
            (Category::Interrogative, c.interrogative),
            (Category::Urgent, c.urgent),
        ] {
            for cue in cues {
                let parts: Vec<Part> = cue.split(' ').map(Part::parse).collect();
                let id = m.cues.len() as u16;
                match parts.first() {
                    Some(Part::Exact(w)) => m.exact.entry(w).or_default().push(id),
                    Some(Part::Stem(stem)) => {
                        // An empty stem would match every word: not a cue anyone writes.
                        if let Some(first) = stem.chars().next() {
                            m.stems.entry(first).or_default().push(id);
                        }
                    }
                    None => {}
                }
                m.cues.push(Cue {
                    list,
                    category,
                    parts,
                });
            }
        }
    }
    m
});

impl Matcher {
    /// How many cues of each category occur in `words` (a cue of several words matches
    /// consecutive words), counting the English list and `lang`'s own; and whether one of them
    /// is an interrogative of several words.
    fn count(&self, words: &[&str], lang: Known) -> ([u32; CATEGORIES], bool) {
        let active = |list: u8| {
            LISTS
                .get(usize::from(list))
                .is_some_and(|(l, _)| l.is_none() || *l == Some(lang))
        };
        let mut found = [0u64; MAX_CUES / 64];
        let mut check = |id: u16, at: usize| {
            let Some(cue) = self.cues.get(usize::from(id)) else {
                return;
            };
            if !active(cue.list) {
                return;
            }
            let Some(rest) = words.get(at + 1..at + cue.parts.len()) else {
                return;
            };
            let tail = cue.parts.get(1..).unwrap_or_default();
            if rest.iter().zip(tail).all(|(w, p)| p.matches(w))
                && let Some(bits) = found.get_mut(usize::from(id) / 64)
            {
                *bits |= 1 << (id % 64);
            }
        };
        for (at, word) in words.iter().enumerate() {
            if let Some(ids) = self.exact.get(word) {
                for &id in ids {
                    check(id, at);
                }
            }
            if let Some(ids) = word.chars().next().and_then(|c| self.stems.get(&c)) {
                for &id in ids {
                    let stem_matches = self
                        .cues
                        .get(usize::from(id))
                        .and_then(|c| c.parts.first())
                        .is_some_and(|p| p.matches(word));
                    if stem_matches {
                        check(id, at);
                    }
                }
            }
        }
        let mut counts = [0u32; CATEGORIES];
        let mut interrogative_phrase = false;
        for (block, bits) in found.iter().enumerate() {
            let mut bits = *bits;
            while bits != 0 {
                let id = block * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                if let Some(cue) = self.cues.get(id) {
                    counts[cue.category as usize] += 1;
                    interrogative_phrase |=
                        cue.category == Category::Interrogative && cue.parts.len() > 1;
                }
            }
        }
        (counts, interrogative_phrase)
    }

    /// `word` is, exactly, a single-word interrogative of an active list.
    fn is_interrogative(&self, word: &str, lang: Known) -> bool {
        self.exact.get(word).is_some_and(|ids| {
            ids.iter().any(|&id| {
                self.cues.get(usize::from(id)).is_some_and(|c| {
                    c.category == Category::Interrogative
                        && c.parts.len() == 1
                        && LISTS
                            .get(usize::from(c.list))
                            .is_some_and(|(l, _)| l.is_none() || *l == Some(lang))
                })
            })
        })
    }
}

/// Intent scores and urgency for a tokenized message of a language, given its sentiment.
pub(crate) fn classify(
    tokens: &[Token],
    lang: Known,
    sentiment: Sentiment,
    scores: &SentimentScores,
) -> (Intent, IntentScores, Urgency) {
    let words: Vec<&str> = tokens
        .iter()
        .filter(|t| matches!(t.kind, Kind::Word | Kind::Symbol))
        .map(|t| &*t.text)
        .collect();
    let matcher = &*MATCHER;
    let (counts, interrogative_phrase) = matcher.count(&words, lang);
    let count = |c: Category| counts[c as usize];

    let has_link = tokens.iter().any(|t| t.kind == Kind::Url);
    let question_mark = tokens.iter().any(|t| t.kind == Kind::Mark && t.text == "?");
    let opens_with_question = words
        .first()
        .is_some_and(|first| matcher.is_interrogative(first, lang))
        || interrogative_phrase;

    let abuse = 2.0 * count(Category::Abuse) as f32;
    let promo = count(Category::Promo) as f32;
    let spam = if promo == 0.0 {
        0.0
    } else if has_link {
        1.0 + promo
    } else {
        promo / 2.0
    };
    // An existing customer's "order" is their order, not a sale to come.
    let customer = count(Category::Customer) > 0;
    let purchase = if customer {
        0
    } else {
        count(Category::Purchase)
    };
    let lead = 1.5 * (count(Category::Lead) + purchase) as f32;
    let complaint = count(Category::Complaint) as f32 + 2.0 * (scores.negative - 0.5).max(0.0);
    let question = if question_mark || opens_with_question {
        1.0
    } else {
        0.0
    } + if customer { 0.5 } else { 0.0 };
    let praise = count(Category::Praise) as f32 + 2.0 * (scores.positive - 0.5).max(0.0);
    let other = 0.5;

    let total = abuse + spam + lead + complaint + question + praise + other;
    let s = IntentScores {
        abuse: abuse / total,
        spam: spam / total,
        lead: lead / total,
        complaint: complaint / total,
        question: question / total,
        praise: praise / total,
        other: other / total,
    };
    let mut intent = Intent::Other;
    let mut best = f32::NEG_INFINITY;
    for i in Intent::ALL {
        if s.get(i) > best {
            best = s.get(i);
            intent = i;
        }
    }

    let mut urgency = match intent {
        Intent::Abuse | Intent::Complaint => Urgency::High,
        Intent::Lead | Intent::Question => Urgency::Normal,
        Intent::Praise | Intent::Spam | Intent::Other => Urgency::Low,
    };
    if sentiment == Sentiment::Negative && scores.negative > 0.5 && urgency < Urgency::Normal {
        urgency = Urgency::Normal;
    }
    if count(Category::Urgent) > 0 && intent != Intent::Spam {
        urgency = match urgency {
            Urgency::Low => Urgency::Normal,
            Urgency::Normal => Urgency::High,
            Urgency::High | Urgency::Critical => Urgency::Critical,
        };
    }
    (intent, s, urgency)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::tokenize;

    fn neutral() -> SentimentScores {
        SentimentScores {
            negative: 0.2,
            neutral: 0.6,
            positive: 0.2,
        }
    }
    fn negative() -> SentimentScores {
        SentimentScores {
            negative: 0.9,
            neutral: 0.05,
            positive: 0.05,
        }
    }
    fn positive() -> SentimentScores {
        SentimentScores {
            negative: 0.05,
            neutral: 0.05,
            positive: 0.9,
        }
    }

    #[test]
    fn every_cue_has_room_in_the_found_set() {
        assert!(MATCHER.cues.len() <= MAX_CUES, "{}", MATCHER.cues.len());
    }

    fn run(text: &str, lang: Known, s: SentimentScores) -> (Intent, Urgency) {
        let sentiment = s.label();
        let (i, scores, u) = classify(&tokenize(text), lang, sentiment, &s);
        let sum: f32 = Intent::ALL.iter().map(|i| scores.get(*i)).sum();
        assert!((sum - 1.0).abs() < 1e-4);
        (i, u)
    }

    #[test]
    fn english() {
        assert_eq!(
            run("How do I reset my password?", Known::En, neutral()).0,
            Intent::Question
        );
        assert_eq!(
            run(
                "How much is the pro plan for 10 seats?",
                Known::En,
                neutral()
            )
            .0,
            Intent::Lead
        );
        assert_eq!(
            run(
                "Still waiting for my refund, this is unacceptable",
                Known::En,
                negative()
            ),
            (Intent::Complaint, Urgency::High)
        );
        assert_eq!(
            run("Thank you, the new app is great", Known::En, positive()),
            (Intent::Praise, Urgency::Low)
        );
        assert_eq!(
            run(
                "WIN a free iPhone, click https://x.co/a",
                Known::En,
                neutral()
            )
            .0,
            Intent::Spam
        );
        assert_eq!(
            run("shut up you idiot", Known::En, negative()),
            (Intent::Abuse, Urgency::High)
        );
        assert_eq!(
            run("Nice weather today", Known::En, neutral()),
            (Intent::Other, Urgency::Low)
        );
        assert_eq!(
            run("urgent: my account was hacked, help", Known::En, negative()).1,
            Urgency::Critical
        );
    }

    #[test]
    fn bulgarian() {
        assert_eq!(
            run("Кога отваряте утре?", Known::Bg, neutral()).0,
            Intent::Question
        );
        assert_eq!(
            run("Колко струва абонаментът за година", Known::Bg, neutral()).0,
            Intent::Lead
        );
        assert_eq!(
            run(
                "Поръчката закъснява вече седмица, не работи и приложението",
                Known::Bg,
                negative()
            )
            .0,
            Intent::Complaint
        );
        assert_eq!(
            run("Благодаря, страхотно обслужване", Known::Bg, positive()).0,
            Intent::Praise
        );
        assert_eq!(
            run("Ти си тъп идиот", Known::Bg, negative()).0,
            Intent::Abuse
        );
        assert_eq!(
            run(
                "Спечели безплатно пътуване https://x.co",
                Known::Bg,
                neutral()
            )
            .0,
            Intent::Spam
        );
    }

    #[test]
    fn german() {
        assert_eq!(
            run(
                "Wann fährt der nächste Zug nach Köln?",
                Known::De,
                neutral()
            )
            .0,
            Intent::Question
        );
        assert_eq!(
            run("Was kostet das Jahresabo?", Known::De, neutral()).0,
            Intent::Lead
        );
        assert_eq!(
            run(
                "Schon wieder 40 Minuten Verspätung, eine Frechheit",
                Known::De,
                negative()
            )
            .0,
            Intent::Complaint
        );
        assert_eq!(
            run("Danke, super Service heute", Known::De, positive()).0,
            Intent::Praise
        );
        assert_eq!(
            run("Halt die Fresse, du Vollidiot", Known::De, negative()).0,
            Intent::Abuse
        );
        assert_eq!(
            run(
                "Kostenlos gewinnen! Jetzt klicken https://x.co",
                Known::De,
                neutral()
            )
            .0,
            Intent::Spam
        );
    }

    #[test]
    fn spanish() {
        assert_eq!(
            run("¿Dónde está mi paquete?", Known::Es, neutral()).0,
            Intent::Question
        );
        assert_eq!(
            run("¿Cuánto cuesta el plan anual?", Known::Es, neutral()).0,
            Intent::Lead
        );
        assert_eq!(
            run(
                "Sigo esperando el reembolso, es una vergüenza",
                Known::Es,
                negative()
            )
            .0,
            Intent::Complaint
        );
        assert_eq!(
            run("Gracias, el servicio es excelente", Known::Es, positive()).0,
            Intent::Praise
        );
        assert_eq!(
            run("Cállate, idiota", Known::Es, negative()).0,
            Intent::Abuse
        );
        assert_eq!(
            run(
                "Gana dinero gratis, sorteo aquí https://x.co",
                Known::Es,
                neutral()
            )
            .0,
            Intent::Spam
        );
        assert_eq!(
            run("Necesito ayuda urgente, no funciona", Known::Es, negative()).1,
            Urgency::Critical
        );
    }
    /// Existing customers asking about their purchase are support, not sales leads; prospects
    /// are still leads, and so is a customer asking the price of something more.
    #[test]
    fn existing_customers_are_not_leads() {
        let cases = [
            // English
            (
                "Where is my order? It was due on Monday",
                Known::En,
                neutral(),
                Intent::Question,
            ),
            (
                "I want a refund for the jacket I ordered, it fell apart",
                Known::En,
                negative(),
                Intent::Complaint,
            ),
            (
                "I ordered two mugs last week and only got one",
                Known::En,
                neutral(),
                Intent::Question,
            ),
            (
                "Can I get my money back for the annual subscription?",
                Known::En,
                neutral(),
                Intent::Question,
            ),
            (
                "We'd like to order 40 chairs for our office, do you deliver?",
                Known::En,
                neutral(),
                Intent::Lead,
            ),
            (
                "I bought the starter plan, how much is the pro plan?",
                Known::En,
                neutral(),
                Intent::Lead,
            ),
            // Bulgarian
            (
                "Къде е поръчката ми? Чакам от петък.",
                Known::Bg,
                neutral(),
                Intent::Question,
            ),
            (
                "Искам да ми върнете парите за поръчката, дойде счупена",
                Known::Bg,
                negative(),
                Intent::Complaint,
            ),
            (
                "Поръчах телефон преди две седмици и още не е доставен",
                Known::Bg,
                neutral(),
                Intent::Question,
            ),
            (
                "Искам да поръчам 10 броя, каква е цената?",
                Known::Bg,
                neutral(),
                Intent::Lead,
            ),
            // German
            (
                "Wo bleibt meine Bestellung? Seit zehn Tagen nichts.",
                Known::De,
                neutral(),
                Intent::Question,
            ),
            (
                "Ich möchte eine Rückerstattung für die defekte Kaffeemaschine",
                Known::De,
                negative(),
                Intent::Complaint,
            ),
            (
                "Ich habe das Jahresabo bestellt, aber keine Rechnung bekommen",
                Known::De,
                neutral(),
                Intent::Question,
            ),
            (
                "Ich würde gern 20 Stück bestellen, gibt es Mengenrabatt?",
                Known::De,
                neutral(),
                Intent::Lead,
            ),
            // Spanish
            (
                "¿Dónde está mi pedido? Lo hice hace una semana.",
                Known::Es,
                neutral(),
                Intent::Question,
            ),
            (
                "Quiero un reembolso, el pedido llegó roto",
                Known::Es,
                negative(),
                Intent::Complaint,
            ),
            (
                "Compré una suscripción y no puedo entrar",
                Known::Es,
                neutral(),
                Intent::Question,
            ),
            (
                "Quiero hacer un pedido grande para mi tienda, ¿tienen precio mayorista?",
                Known::Es,
                neutral(),
                Intent::Lead,
            ),
        ];
        for (text, lang, sentiment, expected) in cases {
            assert_eq!(run(text, lang, sentiment).0, expected, "{text}");
        }
    }
}
