#include "metrics/metrics_text_format.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace fstore {
namespace {

TEST(MetricsTextFormatTest, MetricNamesFollowTheFormat) {
  EXPECT_TRUE(IsValidMetricName("fstore_rpc_requests_total"));
  EXPECT_TRUE(IsValidMetricName("job:rate5m"));
  EXPECT_TRUE(IsValidMetricName("_x"));
  EXPECT_FALSE(IsValidMetricName(""));
  EXPECT_FALSE(IsValidMetricName("1abc"));
  EXPECT_FALSE(IsValidMetricName("a-b"));
  EXPECT_FALSE(IsValidMetricName("a b"));
}

TEST(MetricsTextFormatTest, LabelNamesFollowTheFormatAndSkipTheReservedPrefix) {
  EXPECT_TRUE(IsValidLabelName("method"));
  EXPECT_TRUE(IsValidLabelName("_private"));
  EXPECT_FALSE(IsValidLabelName("__name__"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  EXPECT_FALSE(IsValidLabelName("9"));
  EXPECT_FALSE(IsValidLabelName(""));
}

TEST(MetricsTextFormatTest, LabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(EscapeLabelValue(R"(a\b"c)"
                             "\n"
                             "d"),
            R"(a\\b\"c\nd)");
  EXPECT_EQ(EscapeLabelValue("Zürich"), "Zürich");  // UTF-8 passes through
}

TEST(MetricsTextFormatTest, HelpTextEscapesBackslashAndNewlineButNotQuotes) {
  EXPECT_EQ(EscapeHelpText("say \"hi\"\\\nbye"), "say \"hi\"\\\\\\nbye");
}

TEST(MetricsTextFormatTest, ValuesAreIntegersShortestDecimalsOrSpecials) {
  EXPECT_EQ(FormatSampleValue(0), "0");
  EXPECT_EQ(FormatSampleValue(3), "3");
  EXPECT_EQ(FormatSampleValue(-42), "-42");
  EXPECT_EQ(FormatSampleValue(1e15), "1000000000000000");
  EXPECT_EQ(FormatSampleValue(0.25), "0.25");
  EXPECT_EQ(FormatSampleValue(0.1), "0.1");
  EXPECT_EQ(FormatSampleValue(0.00025), "0.00025");
  EXPECT_EQ(FormatSampleValue(0.0001), "0.0001");
  EXPECT_EQ(FormatSampleValue(1e-5), "1e-05");
  EXPECT_EQ(FormatSampleValue(1234567.5), "1.2345675e+06");
  EXPECT_EQ(FormatSampleValue(1e-6), "1e-06");
  EXPECT_EQ(FormatSampleValue(1e300), "1e+300");
  EXPECT_EQ(FormatSampleValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatSampleValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatSampleValue(std::nan("")), "NaN");
  // Round trip.
  const double third = 1.0 / 3;
  EXPECT_EQ(std::stod(FormatSampleValue(third)), third);
}

TEST(MetricsTextFormatTest, HeaderHasHelpThenType) {
  std::string out;
  AppendMetricHeader("up", "Is it up?\nYes.", "gauge", &out);
  EXPECT_EQ(out, "# HELP up Is it up?\\nYes.\n# TYPE up gauge\n");
}

TEST(MetricsTextFormatTest, SampleLineWithoutLabelsHasNoBraces) {
  std::string out;
  AppendSampleLine("up", {}, {}, "", "", "1", &out);
  EXPECT_EQ(out, "up 1\n");
}

TEST(MetricsTextFormatTest, SampleLineQuotesAndEscapesLabelsAndPutsTheExtraLabelLast) {
  const std::vector<std::string> names = {"method", "code"};
  const std::vector<std::string> values = {"a\"b", "NOT_FOUND"};
  std::string out;
  AppendSampleLine("x_bucket", names, values, "le", "0.5", "7", &out);
  EXPECT_EQ(out, "x_bucket{method=\"a\\\"b\",code=\"NOT_FOUND\",le=\"0.5\"} 7\n");
  out.clear();
  AppendSampleLine("x_bucket", {}, {}, "le", "+Inf", "7", &out);
  EXPECT_EQ(out, "x_bucket{le=\"+Inf\"} 7\n");
}

}  // namespace
}  // namespace fstore
