//! Triage's verdict in the inbox's vocabulary: the one mapping from this crate's types to
//! `owlery_domain::inbox`, used wherever messages come in (import, pollers, webhooks, the rule
//! preview, the demo).

use owlery_domain::inbox::{Classification, Intent, Sentiment, Urgency};

use crate::Triage;

/// What triage said, as the inbox keeps it (`owlery_domain::inbox::Classification`).
pub fn classification(t: &Triage) -> Classification {
    use crate::{Intent as I, Sentiment as S, Urgency as U};
    let sentiment = match t.sentiment {
        S::Negative => Sentiment::Negative,
        S::Neutral => Sentiment::Neutral,
        S::Positive => Sentiment::Positive,
    };
    let intent = match t.intent {
        I::Question => Intent::Question,
        I::Complaint => Intent::Complaint,
        I::Praise => Intent::Praise,
        I::Lead => Intent::Lead,
        I::Spam => Intent::Spam,
        I::Abuse => Intent::Abuse,
        I::Other => Intent::Other,
    };
    let urgency = match t.urgency {
        U::Low => Urgency::Low,
        U::Normal => Urgency::Normal,
        U::High => Urgency::High,
        U::Critical => Urgency::Critical,
    };
    let i = &t.intent_scores;
    let intent_score = match t.intent {
        I::Question => i.question,
        I::Complaint => i.complaint,
        I::Praise => i.praise,
        I::Lead => i.lead,
        I::Spam => i.spam,
        I::Abuse => i.abuse,
        I::Other => i.other,
    };
    let s = &t.sentiment_scores;
    Classification {
        language: t.language.code.to_owned(),
        sentiment,
        intent,
        urgency,
        sentiment_scores: [s.negative, s.neutral, s.positive],
        intent_score,
    }
}
