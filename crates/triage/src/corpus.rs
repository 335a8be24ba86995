//! The labelled development sets of `shared/data/sentiment-dev`, parsed from their text (the
//! caller reads the files). Label mapping is documented per set; nothing here is tuned.

use crate::Sentiment;

/// A labelled message.
#[derive(Debug, Clone, PartialEq)]
pub struct Labelled {
    pub text: String,
    pub label: Sentiment,
}

/// Why a corpus line was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("line {line}: {reason}")]
pub struct CorpusError {
    pub line: usize,
    pub reason: String,
}

fn error(line: usize, reason: impl Into<String>) -> CorpusError {
    CorpusError {
        line,
        reason: reason.into(),
    }
}

fn class(word: &str, line: usize) -> Result<Sentiment, CorpusError> {
    match word.trim() {
        "negative" => Ok(Sentiment::Negative),
        "neutral" => Ok(Sentiment::Neutral),
        "positive" => Ok(Sentiment::Positive),
        other => Err(error(line, format!("unknown label {other:?}"))),
    }
}

/// TweetEval (SemEval-2017 4A): `label<TAB>text`.
pub fn tweeteval(data: &str) -> Result<Vec<Labelled>, CorpusError> {
    data.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let (label, text) = l.split_once('\t').ok_or_else(|| error(i + 1, "no tab"))?;
            Ok(Labelled {
                text: text.to_owned(),
                label: class(label, i + 1)?,
            })
        })
        .collect()
}

/// The VADER tweets' ground truth is a mean valence (−4…+4) of ≥ 20 raters. Classes follow the
/// VADER paper (Hutto & Gilbert 2014, Table 4): normalised to −1…+1, thresholds at ±0.05, i.e.
/// a valence above +0.2 is positive, below −0.2 negative, neutral between.
pub fn vader_class(valence: f32) -> Sentiment {
    let normalised = valence / 4.0;
    if normalised > 0.05 {
        Sentiment::Positive
    } else if normalised < -0.05 {
        Sentiment::Negative
    } else {
        Sentiment::Neutral
    }
}

/// VADER tweets: `id<TAB>mean valence<TAB>text`, classes by [`vader_class`].
pub fn vader(data: &str) -> Result<Vec<Labelled>, CorpusError> {
    data.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let mut cols = l.splitn(3, '\t');
            let (_, Some(v), Some(text)) = (cols.next(), cols.next(), cols.next()) else {
                return Err(error(i + 1, "expected 3 columns"));
            };
            let v: f32 = v
                .trim()
                .parse()
                .map_err(|_| error(i + 1, "valence is not a number"))?;
            Ok(Labelled {
                text: text.to_owned(),
                label: vader_class(v),
            })
        })
        .collect()
}

/// Cinexio (Bulgarian movie comments, binarised): CSV `label,text`, 1 positive, 0 negative.
pub fn cinexio(data: &str) -> Result<Vec<Labelled>, CorpusError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(data.as_bytes());
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| error(i + 1, e.to_string()))?;
        let label = match record.get(0) {
            Some("1") => Sentiment::Positive,
            Some("0") => Sentiment::Negative,
            other => return Err(error(i + 1, format!("unknown label {other:?}"))),
        };
        let text = record.get(1).ok_or_else(|| error(i + 1, "no text"))?;
        out.push(Labelled {
            text: text.to_owned(),
            label,
        });
    }
    Ok(out)
}

/// GermEval 2017: TSV `source<TAB>text<TAB>relevance<TAB>sentiment[<TAB>aspects]`.
pub fn germeval(data: &str) -> Result<Vec<Labelled>, CorpusError> {
    data.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let cols: Vec<&str> = l.split('\t').collect();
            let (Some(text), Some(label)) = (cols.get(1), cols.get(3)) else {
                return Err(error(i + 1, "expected at least 4 columns"));
            };
            Ok(Labelled {
                text: (*text).to_owned(),
                label: class(label, i + 1)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_format() {
        let t = tweeteval("negative\tbad day\npositive\tyay\n").unwrap();
        assert_eq!(t[0].label, Sentiment::Negative);
        let v = vader("1\t2.5\tgreat\n2\t-0.1\tmeh\n3\t-1\tugh\n").unwrap();
        let labels: Vec<_> = v.iter().map(|l| l.label).collect();
        assert_eq!(
            labels,
            [Sentiment::Positive, Sentiment::Neutral, Sentiment::Negative]
        );
        let c = cinexio("1,\"Добър, много\nдобър\"\n0,Лош\n").unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].text, "Добър, много\nдобър");
        let g = germeval("u\tZug kam nie\ttrue\tnegative\tx:y\nu\tok\tfalse\tneutral\n").unwrap();
        assert_eq!(g[1].label, Sentiment::Neutral);
        assert!(tweeteval("meh\tx").is_err());
    }

    #[test]
    fn vader_thresholds_follow_the_paper() {
        assert_eq!(vader_class(0.2), Sentiment::Neutral);
        assert_eq!(vader_class(0.21), Sentiment::Positive);
        assert_eq!(vader_class(-0.21), Sentiment::Negative);
    }
}
