"""Text normalization and QA filters."""

from __future__ import annotations

from mkdata.builders import filters as F
from mkdata.builders.normalize import normalize_entry
from mkdata.core.lang import get_identifier
from mkdata.core.schema import origin_of, stable_id


def test_html_to_text_keeps_paragraph_and_list_breaks():
    html = "<p>First &amp; <b>bold</b>.</p><ul><li>one</li><li>two</li></ul>tail<br>end<script>x=1</script>"
    assert normalize_entry(html) == "First & bold.\none\ntwo\ntail\nend"


def test_escaped_markup_entities_whitespace_and_nfc():
    assert normalize_entry("&lt;p&gt;Hello&nbsp;&nbsp;world&lt;/p&gt;") == "Hello world"
    assert normalize_entry("Cafe\u0301   au\t lait\u200b") == "Café au lait"


def test_labels_numbering_and_wrapping_quotes_are_removed():
    assert normalize_entry("Q: How do I pay?") == "How do I pay?"
    assert normalize_entry("Antwort: Per Rechnung.") == "Per Rechnung."
    assert normalize_entry("3. What is the price?") == "What is the price?"
    assert normalize_entry("“Is it free?”") == "Is it free?"
    assert normalize_entry("«Est-ce gratuit ?»") == "Est-ce gratuit ?"
    assert normalize_entry("1.5 kg is the weight limit.") == "1.5 kg is the weight limit."


def test_text_rules():
    cfg = F.QAFilterConfig()
    q, a = "How long does it take?", "Delivery takes three to five working days."
    assert F.text_rule(q, a, cfg) is None
    assert F.text_rule("", a, cfg) == F.EMPTY
    assert F.text_rule("Why?", a, cfg) == F.QUESTION_TOO_SHORT
    assert F.text_rule(q, "Yes.", cfg) == F.ANSWER_TOO_SHORT
    assert F.text_rule(q, "x" * 40_000, cfg) == F.ANSWER_TOO_LONG
    assert F.text_rule(q, "{{ faq.answer }} {{ faq.more }} {{ x }}", cfg) == F.MARKUP
    assert (
        F.text_rule(
            q, "[vc_row][vc_column][vc_column_text]Hi[/vc_column_text][/vc_column][/vc_row]", cfg
        )
        == F.MARKUP
    )
    assert (
        F.text_rule(q, "Lorem ipsum dolor sit amet, consectetur adipiscing.", cfg) == F.BOILERPLATE
    )
    assert F.text_rule(q, q + " ", F.QAFilterConfig(min_answer_chars=5)) == F.BOILERPLATE
    # unlike WebFAQ, an answer with a question mark is kept
    assert F.text_rule(q, "Did you know? It takes three to five working days.", cfg) is None


def test_language_rule_uses_joint_score_and_agreement():
    lid = get_identifier()
    cfg = F.QAFilterConfig()
    q, a = (
        "Wie lange dauert der Versand?",
        "Der Versand dauert in der Regel zwei bis drei Werktage.",
    )
    joint, qp, ap = lid.predict([f"{q} {a}", q, a])
    assert joint.lang == "deu" and F.language_rule(joint, qp, ap, cfg) is None
    a_en = "Shipping usually takes two to three working days within Germany."
    joint, qp, ap = lid.predict([f"{q} {a_en}", q, a_en])
    assert F.language_rule(joint, qp, ap, cfg) in (F.LANG_MISMATCH, F.LANG_LOW_SCORE)


def test_ids_and_origin():
    assert stable_id("deu", "a", "b") == stable_id("deu", "a", "b") != stable_id("eng", "a", "b")
    assert len(stable_id("x")) == 32
    assert origin_of("HTTPS://Shop.Example.com:8443/faq?x=1") == "https://shop.example.com"
    assert origin_of("not a url") == ""


def test_side_predictions_are_skipped_only_where_no_rule_reads_them():
    """`reads_sides` False must mean: language_rule and hint_candidates give the same verdict
    with the real side predictions as with none (the build skips them then)."""
    import itertools
    import random

    from mkdata.core.lang import Prediction

    rng = random.Random(3)
    langs = ["deu", "eng", "fra", "nld"]

    def pred() -> Prediction:
        chosen = rng.sample(langs, 3)
        scores = sorted((rng.random() for _ in chosen), reverse=True)
        return Prediction(tuple(chosen), tuple(scores))

    skipped = 0
    configs = [F.QAFilterConfig(language_hints=h) for h in (True, False)]
    for cfg, _ in itertools.product(configs, range(2000)):
        joint, qp, ap = pred(), pred(), pred()
        if F.reads_sides(joint, cfg):
            continue
        skipped += 1
        none = F.NO_PREDICTION
        assert F.language_rule(joint, qp, ap, cfg) == F.language_rule(joint, none, none, cfg)
        assert F.hint_candidates(joint, qp, ap, cfg) == F.hint_candidates(joint, none, none, cfg)
    assert skipped > 100
