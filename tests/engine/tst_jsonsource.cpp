// SPDX-License-Identifier: GPL-3.0-or-later
// JsonSource: positions of values found by re-scanning the text, parse errors, and the typed getters' messages.

#include "../../engine/src/core/jsonsource.h"

#include "psc/core/error.h"
#include "psc/core/inputfile.h"

#include "testsupport.h"

#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <functional>

using psc::InputError;
using psc::JsonSource;
using psc::test::errorOf;

namespace {

// Line 1 is "{"; each later line is noted with the columns that matter.
const char *const kDocument = "{\n"
                              "  \"name\": \"x\",\n"                              // 2: value at col 11
                              "  \"layers\": [\n"                                 // 3: "[" at col 13
                              "    {\"type\": \"conv2d\", \"kernel\": [3, 5]},\n" // 4: "5" at col 38
                              "\t{\"a/b\": 1, \"c~d\": {\"q\\\"uote\": 2}},\n"    // 5: tab is one column
                              "    7, \"\\u00e9t\\u00e9\", [[], {}], null\n"      // 6
                              "  ],\n"
                              "  \"\\u006e\\u00e9\": {\"k\": \"caf\xC3\xA9\", \"after\": true}\n" // 8: "né" escaped
                              "}\n";

} // namespace

class TestJsonSource : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void locations_data();
    void locations();
    void unlocatableFallsBackToName();
    void byteOrderMarkAndCrLf();
    void malformed_data();
    void malformed();
    void duplicateKeys();
    void unreadableFiles();
    void integers();
    void otherScalars();
    void requiredKeysAndObjects();
    void unknownKeys();
    void failFormats();
    void pointerHelpers();
    void numbersBeyondDouble_data();
    void numbersBeyondDouble();
    void hugeIntegerWithinDouble();
    void longInputIsCutInMessages();
    void quotedInputCutsAndCounts();
    void nonRegularFilesAreRefused();
    void oversizedFilesAreRefused();
};

void TestJsonSource::locations_data()
{
    QTest::addColumn<QString>("pointer");
    QTest::addColumn<QString>("location");
    QTest::newRow("root") << ""
                          << "doc.json:1:1";
    QTest::newRow("string member") << "/name"
                                   << "doc.json:2:11";
    QTest::newRow("array") << "/layers"
                           << "doc.json:3:13";
    QTest::newRow("element 0") << "/layers/0"
                               << "doc.json:4:5";
    QTest::newRow("member of element") << "/layers/0/type"
                                       << "doc.json:4:14";
    QTest::newRow("nested array element") << "/layers/0/kernel/1"
                                          << "doc.json:4:38";
    QTest::newRow("after a tab") << "/layers/1"
                                 << "doc.json:5:2";
    QTest::newRow("~1 is a slash") << "/layers/1/a~1b"
                                   << "doc.json:5:10";
    QTest::newRow("~0 is a tilde") << "/layers/1/c~0d"
                                   << "doc.json:5:20";
    QTest::newRow("escaped quote in key") << "/layers/1/c~0d/q\"uote"
                                          << "doc.json:5:32";
    QTest::newRow("number element") << "/layers/2"
                                    << "doc.json:6:5";
    QTest::newRow("after escaped string") << "/layers/4"
                                          << "doc.json:6:25";
    QTest::newRow("empty containers are skipped") << "/layers/4/1"
                                                  << "doc.json:6:30";
    QTest::newRow("null") << "/layers/5"
                          << "doc.json:6:35";
    QTest::newRow("unicode-escaped key") << QString::fromUtf8("/né/k") << "doc.json:8:25";
    // "café" has a two-byte character: the next column is counted in characters.
    QTest::newRow("after multibyte value") << QString::fromUtf8("/né/after") << "doc.json:8:42";
}

void TestJsonSource::locations()
{
    QFETCH(QString, pointer);
    QFETCH(QString, location);
    const JsonSource source = JsonSource::fromText(kDocument, "doc.json");
    QCOMPARE(QString::fromStdString(source.location(pointer.toStdString())), location);
    // The pointer really names a value nlohmann sees, so the scanner and the parser agree on the document.
    QVERIFY(source.root().contains(nlohmann::json::json_pointer(pointer.toStdString())));
}

void TestJsonSource::unlocatableFallsBackToName()
{
    const JsonSource source = JsonSource::fromText(kDocument, "doc.json");
    for (const char *pointer : {"/missing", "/layers/9", "/layers/01", "/layers/x", "/name/0", "no-slash", "/a~2"})
        QCOMPARE(source.location(pointer), std::string("doc.json"));
    const JsonSource value = JsonSource::fromValue(source.root(), "db:trial 7");
    QCOMPARE(value.location("/name"), std::string("db:trial 7"));
    QCOMPARE(errorOf([&] { value.fail("/name", "bad"); }), std::string("db:trial 7: /name: bad"));
}

void TestJsonSource::byteOrderMarkAndCrLf()
{
    const JsonSource source = JsonSource::fromText("\xEF\xBB\xBF{\r\n  \"a\": [1,\r\n  2]}", "bom.json");
    QCOMPARE(source.location(""), std::string("bom.json:1:1"));
    QCOMPARE(source.location("/a/1"), std::string("bom.json:3:3"));
    QCOMPARE(errorOf([] { JsonSource::fromText("\xEF\xBB\xBF{\r\n  \"a\": }", "bom.json"); }),
             std::string("bom.json:2:8: malformed JSON: syntax error while parsing value - unexpected '}'; expected "
                         "'[', '{', or a literal"));
}

void TestJsonSource::malformed_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("message");
    QTest::newRow("empty") << ""
                           << "m.json:1:1: malformed JSON: the document is empty";
    QTest::newRow("only spaces") << "  \n "
                                 << "m.json:2:2: malformed JSON: the document is empty";
    QTest::newRow("missing colon") << "{\n  \"a\" 1}"
                                   << "m.json:2:7: malformed JSON: syntax error while parsing object separator - "
                                      "unexpected number literal; expected ':'";
    QTest::newRow("trailing garbage") << "{}\n}"
                                      << "m.json:2:1: malformed JSON: syntax error while parsing value - unexpected "
                                         "'}'; expected end of input";
    QTest::newRow("comment") << "{\n  // no comments in JSON\n}"
                             << "m.json:2:3: malformed JSON: syntax error while parsing object key - invalid "
                                "literal; last read: '{<U+000A>  /'; expected string literal";
}

void TestJsonSource::malformed()
{
    QFETCH(QString, text);
    QFETCH(QString, message);
    QCOMPARE(QString::fromStdString(errorOf([&] { JsonSource::fromText(text.toStdString(), "m.json"); })), message);
}

void TestJsonSource::duplicateKeys()
{
    QCOMPARE(errorOf([] { JsonSource::fromText("{\"a\": 1,\n \"a\": 2}", "d.json"); }),
             std::string("d.json:2:2: duplicate key \"a\""));
    // Equal after decoding escapes: "\u0062" is "b".
    QCOMPARE(errorOf([] { JsonSource::fromText(R"({"x": [{}, {"b": 1, "\u0062": 2}]})", "d.json"); }),
             std::string("d.json:1:21: /x/1: duplicate key \"b\""));
    // The same key in different objects is fine.
    QCOMPARE(errorOf([] { JsonSource::fromText(R"({"a": {"a": {"a": 1}}, "b": [{"a": 1}, {"a": 2}]})", "d.json"); }),
             std::string("<no InputError>"));
}

void TestJsonSource::unreadableFiles()
{
    QCOMPARE(errorOf([] { JsonSource::fromFile("/nonexistent/x.json"); }),
             std::string("/nonexistent/x.json: cannot read: No such file or directory"));
    QCOMPARE(errorOf([] { JsonSource::fromFile(PSC_TEST_DATA_DIR); }),
             std::string(PSC_TEST_DATA_DIR) + ": cannot read: is a directory");
    const std::string file = std::string(PSC_TEST_DATA_DIR) + "/networks/bad-malformed.json";
    QCOMPARE(errorOf([&] { JsonSource::fromFile(file); }).rfind(file + ":7:3: malformed JSON", 0), std::size_t(0));
}

void TestJsonSource::integers()
{
    const JsonSource s = JsonSource::fromText(
        R"({"three": "three", "zero": 0, "big": 18446744073709551615, "neg": -5, "half": 2.5, "ten": 10})", "n.json");
    const auto &r = s.root();
    QCOMPARE(s.getInt(r, "", "absent", 42, 1, 100), 42);
    QCOMPARE(s.getInt(r, "", "ten", 0, 1, 100), 10);
    QCOMPARE(s.getInt(r, "", "neg", 0), -5);
    QCOMPARE(s.getInt64(r, "", "neg", 0), std::int64_t(-5));
    QCOMPARE(errorOf([&] { s.getInt(r, "", "three", 0, 1); }),
             std::string("n.json:1:11: /three: expected an integer >= 1, got \"three\""));
    // nlohmann stores 0 as unsigned; the lower bound must still apply.
    QCOMPARE(errorOf([&] { s.getInt(r, "", "zero", 0, 1); }),
             std::string("n.json:1:28: /zero: expected an integer >= 1, got 0"));
    QCOMPARE(errorOf([&] { s.getInt(r, "", "big", 0); }),
             std::string("n.json:1:38: /big: expected an integer, got 18446744073709551615"));
    QCOMPARE(errorOf([&] { s.getInt64(r, "", "big", 0); }),
             std::string("n.json:1:38: /big: expected an integer, got 18446744073709551615"));
    QCOMPARE(errorOf([&] { s.getInt(r, "", "neg", 0, 0, 9); }),
             std::string("n.json:1:67: /neg: expected an integer between 0 and 9, got -5"));
    QCOMPARE(errorOf([&] { s.getInt(r, "", "ten", 0, std::numeric_limits<int>::min(), 9); }),
             std::string("n.json:1:91: /ten: expected an integer <= 9, got 10"));
    QCOMPARE(errorOf([&] { s.getInt(r, "", "half", 0); }),
             std::string("n.json:1:79: /half: expected an integer, got 2.5"));
}

void TestJsonSource::otherScalars()
{
    const JsonSource s = JsonSource::fromText(R"({"d": 2, "f": 0.5, "b": true, "s": "", "t": "valid", )"
                                              R"("long": "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"})",
                                              "s.json");
    const auto &r = s.root();
    QCOMPARE(s.getDouble(r, "", "d", 0.0), 2.0); // integers are numbers too
    QCOMPARE(s.getDouble(r, "", "absent", 1.5), 1.5);
    QCOMPARE(errorOf([&] { s.getDouble(r, "", "f", 0.0, 1.0); }),
             std::string("s.json:1:15: /f: expected a number >= 1, got 0.5"));
    QCOMPARE(s.getBool(r, "", "b", false), true);
    QCOMPARE(errorOf([&] { s.getBool(r, "", "d", false); }),
             std::string("s.json:1:7: /d: expected true or false, got 2"));
    QCOMPARE(s.getString(r, "", "s", "def"), std::string());
    QCOMPARE(errorOf([&] { s.getString(r, "", "s", "def", false); }),
             std::string("s.json:1:36: /s: expected a non-empty string, got \"\""));
    QCOMPARE(errorOf([&] { s.requireString(r, "", "b"); }),
             std::string("s.json:1:25: /b: expected a non-empty string, got true"));
    QCOMPARE(s.getChoice(r, "", "t", 0, {"same", "valid"}), 1);
    QCOMPARE(s.getChoice(r, "", "absent", 0, {"same", "valid"}), 0);
    QCOMPARE(
        errorOf([&] {
            s.requireChoice(r, "", "t", {"same", "vaild"});
        }),
        std::string("s.json:1:45: /t: expected one of \"same\", \"vaild\", got \"valid\"; did you mean \"vaild\"?"));
    QCOMPARE(errorOf([&] {
                 s.requireChoice(r, "", "long", {"a", "b"});
             }),
             std::string("s.json:1:62: /long: expected one of \"a\", \"b\", got "
                         "\"abcdefghijklmnopqrstuvwxyzabcdefghijklmn\xE2\x80\xA6\" (52 characters)"));
}

void TestJsonSource::requiredKeysAndObjects()
{
    const JsonSource s = JsonSource::fromText("{\n  \"o\": {\"x\": 1},\n  \"a\": [1]\n}", "r.json");
    const auto &r = s.root();
    QCOMPARE(s.requireInt(r["o"], "/o", "x"), 1);
    QCOMPARE(errorOf([&] { s.requireInt(r["o"], "/o", "y"); }),
             std::string("r.json:2:8: /o: missing required key \"y\""));
    QCOMPARE(errorOf([&] { s.requireDouble(r, "", "z"); }), std::string("r.json:1:1: missing required key \"z\""));
    QCOMPARE(errorOf([&] { s.requireObject(r["a"], "/a"); }),
             std::string("r.json:3:8: /a: expected an object, got an array"));
    QCOMPARE(errorOf([&] { s.requireArray(r["o"], "/o"); }),
             std::string("r.json:2:8: /o: expected an array, got an object"));
    s.requireObject(r["o"], "/o");
    s.requireArray(r["a"], "/a");
}

void TestJsonSource::unknownKeys()
{
    const JsonSource s = JsonSource::fromText(R"({"kernal": 3, "stride": 1})", "k.json");
    QCOMPARE(
        errorOf([&] {
            s.checkKeys(s.root(), "", {"kernel", "stride"});
        }),
        std::string("k.json:1:12: /kernal: unknown key \"kernal\"; did you mean \"kernel\"? (allowed keys: kernel, "
                    "stride)"));
    // Far from every allowed key: no suggestion.
    QCOMPARE(errorOf([&] {
                 s.checkKeys(s.root(), "", std::vector<std::string_view>{"padding", "stride"});
             }),
             std::string("k.json:1:12: /kernal: unknown key \"kernal\" (allowed keys: padding, stride)"));
    s.checkKeys(s.root(), "", {"kernal", "stride", "extra"});
}

void TestJsonSource::failFormats()
{
    const JsonSource s = JsonSource::fromText("{\"a\": [0, {\"b\": 1}]}", "f.json");
    QCOMPARE(errorOf([&] { s.fail("", "whole document"); }), std::string("f.json:1:1: whole document"));
    QCOMPARE(errorOf([&] { s.fail("/a/1/b", "nope"); }), std::string("f.json:1:17: /a/1/b: nope"));
    QCOMPARE(errorOf([&] { s.fail("/a/7", "nope"); }), std::string("f.json: /a/7: nope"));
}

void TestJsonSource::pointerHelpers()
{
    QCOMPARE(JsonSource::child("/layers", std::size_t(3)), std::string("/layers/3"));
    QCOMPARE(JsonSource::child("", "a/b~c"), std::string("/a~1b~0c"));
    QCOMPARE(JsonSource::describe(nlohmann::json::object()), std::string("an object"));
    QCOMPARE(JsonSource::describe(nlohmann::json(nullptr)), std::string("null"));
    QCOMPARE(JsonSource::describe(nlohmann::json("q\"")), std::string("\"q\\\"\""));
    QCOMPARE(JsonSource::didYouMean("relu7", {"relu6", "softmax"}), std::string("; did you mean \"relu6\"?"));
    QCOMPARE(JsonSource::didYouMean("sigmoid", {"relu6", "softmax"}), std::string());
}

void TestJsonSource::numbersBeyondDouble_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("message");
    const std::string digits401 = "1" + std::string(400, '0');
    QTest::newRow("401 digits") << QString::fromStdString("{\"layers\": [{\"units\":\n   " + digits401 + "}]}")
                                << QString::fromStdString(
                                       "o.json:2:4: /layers/0/units: number out of range: expected a number between "
                                       "-1.8e308 and 1.8e308 (a double), got \"1000000000000000000000000000000000000000"
                                       "\xE2\x80\xA6\" (401 characters)");
    QTest::newRow("exponent") << "[1, 2, {\"a/b\": -1e999}]"
                              << "o.json:1:16: /2/a~1b: number out of range: expected a number between -1.8e308 and "
                                 "1.8e308 (a double), got \"-1e999\"";
    QTest::newRow("root") << "1e400"
                          << "o.json:1:1: number out of range: expected a number between -1.8e308 and 1.8e308 (a "
                             "double), got \"1e400\"";
    // The first bad number is the one reported, even when a later one is worse.
    QTest::newRow("first") << "{\"a\": 1e308, \"b\": 2e308, \"c\": 1e999}"
                           << "o.json:1:19: /b: number out of range: expected a number between -1.8e308 and 1.8e308 "
                              "(a double), got \"2e308\"";
}

void TestJsonSource::numbersBeyondDouble()
{
    QFETCH(QString, text);
    QFETCH(QString, message);
    QCOMPARE(QString::fromStdString(errorOf([&] { JsonSource::fromText(text.toStdString(), "o.json"); })), message);
}

void TestJsonSource::hugeIntegerWithinDouble()
{
    // 1e80 written out does not fit any integer type but is a double: the typed getters refuse it by position.
    const JsonSource s = JsonSource::fromText("{\"kernel\": 1" + std::string(80, '0') + "}", "h.json");
    QCOMPARE(errorOf([&] { s.requireInt(s.root(), "", "kernel", 1, 15); }),
             std::string("h.json:1:12: /kernel: expected an integer between 1 and 15, got 1e+80"));
    QCOMPARE(errorOf([&] { s.getInt64(s.root(), "", "kernel", 0); }),
             std::string("h.json:1:12: /kernel: expected an integer, got 1e+80"));
}

void TestJsonSource::longInputIsCutInMessages()
{
    const std::string key(5 * 1024 * 1024, 'k'); // 5 MiB: the same paths as 50, in a tenth of the time
    const std::string cutKey = std::string(40, 'k') + "\xE2\x80\xA6";
    const JsonSource s = JsonSource::fromText("{\"name\": 1, \"" + key + "\": 2}", "k.json");
    const std::string unknown = errorOf([&] { s.checkKeys(s.root(), "", {"name", "layers"}); });
    QCOMPARE(unknown, "k.json:1:" + std::to_string(key.size() + 17) + ": /" + cutKey + ": unknown key \"" + cutKey +
                          "\" (5242880 characters) (allowed keys: name, layers)");

    const std::string duplicate =
        errorOf([&] { JsonSource::fromText("{\"" + key + "\": 1,\n\"" + key + "\": 2}", "k.json"); });
    QCOMPARE(duplicate, "k.json:2:1: duplicate key \"" + cutKey + "\" (5242880 characters)");

    // nlohmann quotes the token it stopped at; an unterminated 50 MB string must not come back whole.
    const std::string malformed = errorOf([&] { JsonSource::fromText("[\"" + key, "k.json"); });
    QVERIFY2(malformed.size() < 300, malformed.substr(0, 300).c_str());
    QVERIFY2(malformed.starts_with("k.json:1:") && malformed.find("malformed JSON") != std::string::npos &&
                 malformed.find("characters)") != std::string::npos,
             malformed.c_str());

    const JsonSource v = JsonSource::fromText("{\"t\": \"" + key + "\"}", "v.json");
    QCOMPARE(errorOf([&] {
                 v.requireChoice(v.root(), "", "t", {"a", "b"});
             }),
             "v.json:1:7: /t: expected one of \"a\", \"b\", got \"" + cutKey + "\" (5242880 characters)");
}

void TestJsonSource::quotedInputCutsAndCounts()
{
    QCOMPARE(psc::quotedInput("short"), std::string("\"short\""));
    QCOMPARE(psc::quotedInput("a\"b\\c\n\x01"), std::string(R"("a\"b\\c\n\u0001")"));
    // Cut between characters, never inside one, and counted in characters.
    QCOMPARE(psc::quotedInput("\xC3\xA9\xC3\xA9\xC3\xA9", 2),
             std::string("\"\xC3\xA9\xC3\xA9\xE2\x80\xA6\" (3 characters)"));
    QCOMPARE(psc::quotedInput(std::string(40, 'x')), "\"" + std::string(40, 'x') + "\"");
    QCOMPARE(psc::quotedInput(std::string(41, 'x')), "\"" + std::string(40, 'x') + "\xE2\x80\xA6\" (41 characters)");
}

void TestJsonSource::nonRegularFilesAreRefused()
{
    QCOMPARE(errorOf([] { JsonSource::fromFile("/dev/zero"); }),
             std::string("/dev/zero: cannot read: a character device, not a regular file; input files must be "
                         "regular files"));
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string fifo = dir.filePath(QStringLiteral("net.json")).toStdString();
    QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
    // Opening a FIFO that has no writer blocks unless the open is non-blocking: a regression hangs here (and
    // ctest's timeout fails it).
    QCOMPARE(errorOf([&] { JsonSource::fromFile(fifo); }),
             fifo + ": cannot read: a FIFO, not a regular file; input files must be regular files");
    QCOMPARE(errorOf([&] { JsonSource::fromFile(dir.path().toStdString()); }),
             dir.path().toStdString() + ": cannot read: is a directory");
}

void TestJsonSource::oversizedFilesAreRefused()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::filesystem::path big = dir.filePath(QStringLiteral("big.json")).toStdString();
    {
        std::ofstream out(big);
        out << "[]";
    }
    std::filesystem::resize_file(big, psc::kMaxInputFileBytes + 1); // sparse: costs no disk
    QCOMPARE(errorOf([&] { JsonSource::fromFile(big); }),
             big.string() + ": cannot read: the file is 64.0 MiB, larger than the 64 MiB an input file may have");
    std::filesystem::resize_file(big, psc::kMaxInputFileBytes);
    QVERIFY(errorOf([&] { JsonSource::fromFile(big); }).find("cannot read") == std::string::npos);
    // A smaller cap, as other readers may use.
    QCOMPARE(errorOf([&] { psc::readInputFile(big, 1000); }),
             big.string() + ": cannot read: the file is 64.0 MiB, larger than the 1000 bytes an input file may have");
    std::filesystem::resize_file(big, 1000);
    QCOMPARE(psc::readInputFile(big, 1000).size(), std::size_t(1000));
}

QTEST_APPLESS_MAIN(TestJsonSource)
#include "tst_jsonsource.moc"
