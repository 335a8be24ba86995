//! Intent and urgency: transparent rules over language-aware cue words combined with sentiment.
//!
//! Each intent collects evidence from its cues (a cue is a word, a phrase of words, or a stem
//! ending in `*` that matches any word it begins); English cues apply to every message (brand and
//! product talk mixes in English), the message's own language adds its list. Evidence per intent:
//! - **abuse**: insults and harassment vocabulary (2 per cue) — outranks everything;
//! - **spam**: promotion vocabulary together with a link (2 + 1 per further cue); promotion
//!   without a link counts half;
//! - **lead**: purchase / pricing / demo interest (1.5 per cue);
//! - **complaint**: complaint vocabulary (1 per cue) plus the negative sentiment probability
//!   above 0.5 (×2);
//! - **question**: a `?` or an interrogative opening (1);
//! - **praise**: thanks and praise vocabulary (1 per cue) plus the positive probability above
//!   0.5 (×2);
//! - **other**: a constant 0.5, so a message with no cue at all is "other".
//!
//! Scores are evidence / total. The winner is the highest score; ties go to the order above.
//! Urgency starts from the intent and rises with strong negative sentiment and urgency words.

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
    lead: &'static [&'static str],
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
        "purchase",
        "order",
        "interested in",
        "demo",
        "trial",
        "subscription",
        "plan for",
        "do you ship",
        "available in",
        "wholesale",
        "bulk",
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
        "поръч*",
        "оферта",
        "интересувам",
        "демо",
        "абонамент",
        "доставяте",
        "наличн*",
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
        "bestell*",
        "angebot",
        "interessiert",
        "demo",
        "abo",
        "liefern sie",
        "verfügbar",
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
        "pedido",
        "presupuesto",
        "cotización",
        "interesad*",
        "demo",
        "suscripción",
        "envían",
        "disponible",
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

fn cues(lang: Known) -> Option<&'static Cues> {
    match lang {
        Known::Bg => Some(&BG),
        Known::De => Some(&DE),
        Known::Es => Some(&ES),
        Known::En | Known::Other => None,
    }
}

/// The words of a message, for cue matching.
struct Words<'a> {
    words: Vec<&'a str>,
}

impl Words<'_> {
    /// How many of `list` occur. A cue of several words matches consecutive words; a trailing
    /// `*` makes its last word a prefix.
    fn count(&self, list: &[&str]) -> u32 {
        list.iter().filter(|cue| self.has(cue)).count() as u32
    }

    fn has(&self, cue: &str) -> bool {
        let matches = |word: &str, part: &str| match part.strip_suffix('*') {
            Some(stem) => word.starts_with(stem),
            None => word == part,
        };
        if !cue.contains(' ') {
            return self.words.iter().any(|w| matches(w, cue));
        }
        let n = cue.split(' ').count();
        self.words.len() >= n
            && self.words.windows(n).any(|window| {
                window
                    .iter()
                    .zip(cue.split(' '))
                    .all(|(w, p)| matches(w, p))
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
    let words = Words {
        words: tokens
            .iter()
            .filter(|t| matches!(t.kind, Kind::Word | Kind::Symbol))
            .map(|t| t.text.as_str())
            .collect(),
    };
    let mut lists: Vec<&Cues> = vec![&EN];
    lists.extend(cues(lang));
    let count = |pick: fn(&Cues) -> &'static [&'static str]| -> u32 {
        lists.iter().map(|c| words.count(pick(c))).sum()
    };

    let has_link = tokens.iter().any(|t| t.kind == Kind::Url);
    let question_mark = tokens.iter().any(|t| t.kind == Kind::Mark && t.text == "?");
    let opens_with_question = words
        .words
        .first()
        .is_some_and(|first| lists.iter().any(|c| c.interrogative.contains(first)))
        || lists.iter().any(|c| {
            c.interrogative
                .iter()
                .any(|q| q.contains(' ') && words.has(q))
        });

    let abuse = 2.0 * count(|c| c.abuse) as f32;
    let promo = count(|c| c.promo) as f32;
    let spam = if promo == 0.0 {
        0.0
    } else if has_link {
        1.0 + promo
    } else {
        promo / 2.0
    };
    let lead = 1.5 * count(|c| c.lead) as f32;
    let complaint = count(|c| c.complaint) as f32 + 2.0 * (scores.negative - 0.5).max(0.0);
    let question = if question_mark || opens_with_question {
        1.0
    } else {
        0.0
    };
    let praise = count(|c| c.praise) as f32 + 2.0 * (scores.positive - 0.5).max(0.0);
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
    if count(|c| c.urgent) > 0 && intent != Intent::Spam {
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
}
