"""`make report`: how the bot is doing, on one HTML page for the content editors.

`reports/report.html` is self-contained (charts are inline PNG images, no links to load) and
bilingual: every heading and explanation in Kazakh, then in Russian, since the editors are
civil servants who read both and no English; the words are theirs to change, in
content/report.yml. It shows, from the bot's Redis (REDIS_URL, the embedded Redis of
`make run`, or its saved data in .run/redis):

1. the share of messages understood, and the fallback and handoff rates, by language
   (komekshi/channel/analytics.py counters);
2. citizens' ratings of the operators (the `rating` histogram of the `komekshi:metrics` hash);
3. the most frequent topics by language, named by their label in content/topics;
4. the questions the bot could not answer since the last `make review`, grouped by meaning
   the way `make review` groups them (tools/editors/review.py), largest first. Grouped afresh
   rather than read from the latest content/review/*.yml: that file is a snapshot editors
   edit (they assign topics and delete questions), and it holds nothing asked since. The
   report only reads: the next `make review` writes these same questions into a file;
5. the per-intent F1 of the last `make evaluate` (reports/evaluation.json), with its date.

Nothing personal: only counters, ratings and the unanswered questions, which are stored
masked and are masked again here; no chat ids, names or case details are read.

The numbers: gather.py; the words: words.py (content/report.yml); the page: page.py,
sections.py, markup.py and charts.py; the command: cli.py (`python -m tools.editors.report`).
"""
