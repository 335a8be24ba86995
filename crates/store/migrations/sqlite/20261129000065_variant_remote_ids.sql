-- The inbox shows the post a comment thread is on (issue 5): a conversation names the post by its
-- id on the network, found among what Owlery published — the variant or one of its parts (a
-- thread's later posts, a first comment).
CREATE INDEX variants_remote ON variants (remote_id) WHERE remote_id IS NOT NULL;
CREATE INDEX variant_parts_remote ON variant_parts (remote_id) WHERE remote_id IS NOT NULL;
