//! Comments on posts, with @mentions that notify the people named.
//!
//! How a mention is written (and resolved against the organisation's people who are not disabled):
//! - `@ana` — the part of an e-mail address before the `@` (`ana@example.test`), any case. A local
//!   part shared by several people mentions no one (write the whole address instead).
//! - `@ana@example.test` — a whole e-mail address, any case.
//! - `@"Ana Author"` — a display name in double quotes, any case; again only when unique.
//!
//! An `@` counts only at the start or after a character that is not a letter, digit or one of
//! `.`, `_`, `+`, `-` (so an e-mail address in the text is not a mention of its domain). The author
//! is never notified of their own mention; each person is notified once per comment.

use chrono::{DateTime, Utc};
use owlery_domain::{CommentId, InvalidInput, PostId, UserId, audit::Actor};
use serde::Serialize;
use uuid::Uuid;

use crate::{Result, Store, StoreError, notifications::NewNotification, posts::json};

pub const MAX_BODY_CHARS: usize = 5_000;
/// At most this many people are notified by one comment.
pub const MAX_MENTIONS: usize = 20;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Comment {
    pub id: CommentId,
    pub post_id: PostId,
    pub author_id: UserId,
    pub author_name: String,
    pub body: String,
    /// The people the comment mentions (resolved when it was written).
    pub mentions: Vec<UserId>,
    pub created_at: DateTime<Utc>,
}

/// A mention as written, before it is resolved to a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MentionToken {
    /// `@ana` or `@ana@example.test` (lower-cased, without the leading `@`).
    Handle(String),
    /// `@"Ana Author"` (lower-cased, trimmed).
    Name(String),
}

fn handle_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '+' | '-')
}

/// The mentions in a comment, in order, without repeats.
pub fn parse_mentions(body: &str) -> Vec<MentionToken> {
    let chars: Vec<char> = body.chars().collect();
    let mut out: Vec<MentionToken> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts = chars[i] == '@' && (i == 0 || !handle_char(chars[i - 1]));
        if !starts {
            i += 1;
            continue;
        }
        let rest = &chars[i + 1..];
        let (token, used) = if rest.first() == Some(&'"') {
            match rest[1..].iter().position(|c| *c == '"') {
                Some(end) => {
                    let name: String = rest[1..=end].iter().collect();
                    let name = name.trim().to_lowercase();
                    (
                        (!name.is_empty()).then_some(MentionToken::Name(name)),
                        end + 2,
                    )
                }
                None => (None, 1),
            }
        } else {
            let mut n = rest.iter().take_while(|c| handle_char(**c)).count();
            // A whole address: local part, '@', domain.
            if rest.get(n) == Some(&'@') && n > 0 {
                let domain = rest[n + 1..]
                    .iter()
                    .take_while(|c| handle_char(**c))
                    .count();
                if domain > 0 {
                    n += 1 + domain;
                }
            }
            let handle: String = rest[..n].iter().collect();
            // A sentence's full stop is not part of the handle.
            let handle = handle.trim_end_matches(['.', '-']).to_lowercase();
            (
                (!handle.is_empty()).then_some(MentionToken::Handle(handle)),
                n,
            )
        };
        if let Some(t) = token
            && !out.contains(&t)
        {
            out.push(t);
        }
        i += 1 + used;
    }
    out
}

/// The people a set of mentions names, by the rules above. `people` are (id, e-mail, name).
pub fn resolve_mentions(
    tokens: &[MentionToken],
    people: &[(UserId, String, String)],
) -> Vec<UserId> {
    let mut out: Vec<UserId> = Vec::new();
    for t in tokens {
        let matches: Vec<UserId> = people
            .iter()
            .filter(|(_, email, name)| {
                let email = email.to_lowercase();
                match t {
                    MentionToken::Handle(h) if h.contains('@') => email == *h,
                    MentionToken::Handle(h) => email.split('@').next() == Some(h.as_str()),
                    MentionToken::Name(n) => name.trim().to_lowercase() == *n,
                }
            })
            .map(|(id, _, _)| *id)
            .collect();
        if let [one] = matches.as_slice()
            && !out.contains(one)
        {
            out.push(*one);
        }
    }
    out.truncate(MAX_MENTIONS);
    out
}

type Row = (Uuid, Uuid, Uuid, String, String, String, DateTime<Utc>);

impl Store {
    /// Add a comment to a post; everyone it mentions (except the author) gets an in-app
    /// notification and an e-mail, in the same transaction.
    pub async fn add_comment(
        &self,
        actor: &Actor,
        author: UserId,
        post: PostId,
        body: &str,
    ) -> Result<Comment> {
        let body = body.trim().to_owned();
        let chars = body.chars().count();
        if chars == 0 || chars > MAX_BODY_CHARS {
            return Err(InvalidInput::new(
                "body",
                "invalid",
                format!("Write a comment of 1 to {MAX_BODY_CHARS} characters."),
            )
            .into());
        }
        let tokens = parse_mentions(&body);
        let people: Vec<(Uuid, String, String)> = if tokens.is_empty() {
            Vec::new()
        } else {
            with_pool!(self, |pool, _pg| {
                sqlx::query_as("SELECT id, email, name FROM users WHERE status <> 'disabled'")
                    .fetch_all(pool)
                    .await?
            })
        };
        let people: Vec<(UserId, String, String)> = people
            .into_iter()
            .map(|(id, e, n)| (UserId(id), e, n))
            .collect();
        let mentions = resolve_mentions(&tokens, &people);
        let id = CommentId::new();
        let now = self.now();
        let excerpt: String = body.chars().take(140).collect();
        let mentions_json =
            serde_json::to_string(&mentions).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        with_tx!(self, |tx, pg| {
            let title: Option<(String,)> =
                sqlx::query_as("SELECT title FROM posts WHERE id = $1 AND deleted_at IS NULL")
                    .bind(post.0)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((title,)) = title else {
                return Err(StoreError::NotFound("post"));
            };
            let author_name: Option<(String,)> =
                sqlx::query_as("SELECT name FROM users WHERE id = $1")
                    .bind(author.0)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((author_name,)) = author_name else {
                return Err(StoreError::NotFound("user"));
            };
            sqlx::query(
                "INSERT INTO post_comments (id, post_id, author_id, body, mentions, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id.0)
            .bind(post.0)
            .bind(author.0)
            .bind(&body)
            .bind(&mentions_json)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            for user in mentions.iter().filter(|u| **u != author) {
                let n = NewNotification {
                    user_id: *user,
                    kind: "mention".into(),
                    params: serde_json::json!({
                        "author": author_name,
                        "title": title,
                        "excerpt": excerpt,
                    }),
                    link: Some(format!("/posts/{post}#comment-{id}")),
                    email: true,
                };
                insert_notification!(tx, &n, now);
            }
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "post.comment",
                    "post",
                    Some(post.to_string()),
                    None,
                    Some(serde_json::json!({ "comment_id": id, "mentions": mentions }))
                ),
                now
            );
            Ok(Comment {
                id,
                post_id: post,
                author_id: author,
                author_name,
                body: body.clone(),
                mentions: mentions.clone(),
                created_at: now,
            })
        })
    }

    /// A post's comments, oldest first.
    pub async fn comments(&self, post: PostId) -> Result<Vec<Comment>> {
        let rows: Vec<Row> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT c.id, c.post_id, c.author_id, u.name, c.body, c.mentions, c.created_at \
                 FROM post_comments c JOIN users u ON u.id = c.author_id \
                 WHERE c.post_id = $1 ORDER BY c.created_at, c.id",
            )
            .bind(post.0)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(
                |(id, post_id, author_id, author_name, body, mentions, created_at)| {
                    Ok(Comment {
                        id: CommentId(id),
                        post_id: PostId(post_id),
                        author_id: UserId(author_id),
                        author_name,
                        body,
                        mentions: json("comment mentions", &mentions)?,
                        created_at,
                    })
                },
            )
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> MentionToken {
        MentionToken::Handle(s.into())
    }

    #[test]
    fn mentions_are_found_by_the_documented_rules() {
        assert_eq!(
            parse_mentions("@Ana can you check? cc @bo.b, and @\"Cy Second\"."),
            vec![h("ana"), h("bo.b"), MentionToken::Name("cy second".into())]
        );
        assert_eq!(
            parse_mentions("mail ana@example.test or @ana@example.test."),
            vec![h("ana@example.test")]
        );
        assert_eq!(parse_mentions("@ana @ANA @ @\"\" @\"open"), vec![h("ana")]);
        assert!(parse_mentions("no mentions here").is_empty());
    }

    #[test]
    fn mentions_resolve_only_to_one_person() {
        let people = vec![
            (
                UserId::new(),
                "ana@example.test".to_owned(),
                "Ana Author".to_owned(),
            ),
            (UserId::new(), "bo@example.test".to_owned(), "Bo".to_owned()),
            (
                UserId::new(),
                "bo@other.test".to_owned(),
                "Bo Other".to_owned(),
            ),
        ];
        let ids = resolve_mentions(
            &[
                h("ana"),
                h("bo"),
                h("bo@other.test"),
                MentionToken::Name("ana author".into()),
            ],
            &people,
        );
        assert_eq!(ids, vec![people[0].0, people[2].0]);
    }
}
