"""Read a /metrics scrape (stdin) with Prometheus' own Python parser (prometheus_client) and
print every sample as one line: NAME{label="value",...} VALUE, the labels sorted, their values
as the parser unescaped them. Exit 1 with the parser's error if it refuses the text.

Used by tests/cli (common.bash: metrics_parse) as a reader nobody here wrote."""
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = sys.stdin.read()
    try:
        for fam in text_string_to_metric_families(text):
            for s in fam.samples:
                labels = ",".join('%s="%s"' % (k, v) for k, v in sorted(s.labels.items()))
                print("%s{%s} %r" % (s.name, labels, s.value))
    except Exception as e:  # the parser raises ValueError and others on bad text
        print("prometheus_client refused the text: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
