// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/export/cortexm.h"

#include "psc/core/datapaths.h"
#include "psc/core/error.h"

#include <QProcess>
#include <QProcessEnvironment>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <charconv>
#include <fstream>
#include <sstream>

namespace psc {

namespace fs = std::filesystem;

std::optional<std::string> qemuMachineForCore(std::string_view core)
{
    // QEMU 7.2's boards for these cores (docs/research/cortex-m-qemu.md): AN386 is a Cortex-M4 with FPv4-SP,
    // AN500 a Cortex-M7, AN547 an SSE-300 with a Cortex-M55.
    if (core == "cortex-m4" || core == "cortex-m4f")
        return "mps2-an386";
    if (core == "cortex-m7")
        return "mps2-an500";
    if (core == "cortex-m55")
        return "mps3-an547";
    return std::nullopt;
}

namespace {

fs::path fromEnv(const char *name)
{
    const QString value = QProcessEnvironment::systemEnvironment().value(QString::fromLatin1(name));
    return value.isEmpty() ? fs::path() : fs::path(value.toStdString());
}

bool hasHarness(const fs::path &dir)
{
    std::error_code ec;
    return !dir.empty() && fs::exists(dir / "build.sh", ec) && fs::exists(dir / "run.sh", ec) &&
           fs::exists(dir / "runner.c", ec);
}

/** Runs `program args` in `dir`; returns its merged output, or throws RuntimeError naming `step`. */
std::string run(const std::string &step, const QString &program, const QStringList &args, const QString &dir,
                const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment())
{
    QProcess p;
    p.setWorkingDirectory(dir);
    p.setProcessEnvironment(env);
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(program, args);
    constexpr int kTimeoutMs = 120000;
    const bool finished = p.waitForFinished(kTimeoutMs);
    const std::string output = QString::fromLocal8Bit(p.readAll()).toStdString();
    if (!finished || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        std::string why =
            !finished ? "did not finish within 120 s"
                      : (p.exitStatus() != QProcess::NormalExit ? "crashed"
                                                                : "exited with status " + std::to_string(p.exitCode()));
        if (p.error() == QProcess::FailedToStart)
            why = "could not be started";
        throw RuntimeError(step + ": " + program.toStdString() + " " + why + (output.empty() ? "" : ":\n" + output));
    }
    return output;
}

std::int64_t toInt(std::string_view text)
{
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && end == text.data() + text.size() ? value : -1;
}

bool startsWith(std::string_view s, std::string_view prefix)
{
    return s.substr(0, prefix.size()) == prefix;
}

/** The value of `#define name N` in `header`, or -1. */
std::int64_t defineIn(const std::string &header, const std::string &name)
{
    std::istringstream in(header);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string define, macro, value;
        if (fields >> define >> macro >> value && define == "#define" && macro == name)
            return toInt(value);
    }
    return -1;
}

} // namespace

CortexMTools CortexMTools::locate()
{
    CortexMTools tools;
    std::vector<fs::path> harnesses = {fromEnv("PSC_CORTEXM_DIR"), paths::bundled("cortex-m"),
                                       fs::path(PSC_CORTEXM_SOURCE_DIR)};
    for (const fs::path &dir : harnesses)
        if (hasHarness(dir)) {
            tools.harness = dir;
            break;
        }
    std::vector<fs::path> plugins = {fromEnv("PSC_INSN_PLUGIN")};
    if (const fs::path exe = paths::executableDir(); !exe.empty())
        plugins.push_back(exe.parent_path() / "lib" / "paretoscope" / "libpsc_insn.so");
    if (!tools.harness.empty())
        plugins.push_back(tools.harness / "plugin" / "libpsc_insn.so");
    plugins.emplace_back(PSC_INSN_PLUGIN_BUILD_PATH);
    std::error_code ec;
    for (const fs::path &so : plugins)
        if (!so.empty() && fs::is_regular_file(so, ec)) {
            tools.plugin = so;
            break;
        }
    std::vector<std::string> missing;
    if (tools.harness.empty())
        missing.push_back("the Cortex-M harness (deploy/cortex-m; set PSC_CORTEXM_DIR)");
    if (tools.plugin.empty())
        missing.push_back("the instruction-counting QEMU plugin libpsc_insn.so (set PSC_INSN_PLUGIN)");
    for (const char *tool : {"arm-none-eabi-gcc", "arm-none-eabi-size", "qemu-system-arm"})
        if (QStandardPaths::findExecutable(QString::fromLatin1(tool)).isEmpty())
            missing.push_back(std::string(tool) + " (Debian: " +
                              (std::string_view(tool) == "qemu-system-arm"
                                   ? "qemu-system-arm"
                                   : "gcc-arm-none-eabi, libnewlib-arm-none-eabi") +
                              ")");
    for (std::size_t i = 0; i < missing.size(); ++i)
        tools.missing += (i ? ", " : "") + missing[i];
    return tools;
}

CBuildMeasurement parseSizeOutput(std::string_view sizeOutput)
{
    CBuildMeasurement m;
    std::istringstream in{std::string(sizeOutput)};
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string name, size, address, rest;
        if (!(fields >> name >> size >> address) || (fields >> rest))
            continue; // the header lines and "Total"
        const std::int64_t bytes = toInt(size);
        if (bytes < 0 || toInt(address) < 0)
            continue;
        if (startsWith(name, ".text") || startsWith(name, ".vectors") || startsWith(name, ".ARM.ex"))
            m.textBytes += bytes;
        else if (startsWith(name, ".rodata"))
            m.rodataBytes += bytes;
        else if (startsWith(name, ".data"))
            m.dataBytes += bytes;
        else if (startsWith(name, ".bss") || name == "COMMON")
            m.bssBytes += bytes;
    }
    return m;
}

std::optional<std::int64_t> parseInstructionCount(std::string_view pluginOutput)
{
    std::istringstream in{std::string(pluginOutput)};
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string region, index, insns, count;
        if (fields >> region >> index >> insns >> count && region == "region" && index == "0" && insns == "insns")
            if (const std::int64_t n = toInt(count); n >= 0)
                return n;
    }
    return std::nullopt;
}

CBuildMeasurement measureCExport(const CortexMTools &tools, const std::vector<FileToWrite> &files,
                                 std::string_view core)
{
    if (!tools.usable())
        throw RuntimeError("cannot measure the C export on Cortex-M: missing " + tools.missing);
    const std::optional<std::string> machine = qemuMachineForCore(core);
    if (!machine)
        throw RuntimeError("cannot measure the C export on " + std::string(core) +
                           ": QEMU 7.2 has no board for it (measured: cortex-m4, cortex-m7, cortex-m55)");
    if (files.size() < 2 || files[0].path.extension() != ".c" || files[1].path.extension() != ".h")
        throw RuntimeError("measureCExport: expected the C export's .c file, then its .h");
    const std::int64_t inputSize = defineIn(files[1].bytes, "PSC_MODEL_INPUT_SIZE");
    const std::int64_t outputSize = defineIn(files[1].bytes, "PSC_MODEL_OUTPUT_SIZE");
    if (inputSize <= 0 || outputSize <= 0)
        throw RuntimeError("measureCExport: " + files[1].path.filename().string() +
                           " defines no PSC_MODEL_INPUT_SIZE / PSC_MODEL_OUTPUT_SIZE");
    QTemporaryDir dir;
    if (!dir.isValid())
        throw RuntimeError("cannot create a temporary folder to build the C export: " +
                           dir.errorString().toStdString());
    const fs::path folder = dir.path().toStdString();
    for (const FileToWrite &f : files) {
        std::ofstream out(folder / f.path.filename(), std::ios::binary);
        out << f.bytes;
        if (!out)
            throw RuntimeError("cannot write " + (folder / f.path.filename()).string());
    }
    {
        // One input image; the kernels have no data-dependent branches beyond clamps, so any input counts the same
        // loops. A fixed ramp keeps the count reproducible.
        std::ofstream in(folder / "input.bin", std::ios::binary);
        for (std::int64_t i = 0; i < inputSize; ++i)
            in.put(char(std::int8_t(i * 37 % 256 - 128)));
    }
    const QString board = QString::fromStdString(*machine);
    const QString harness = QString::fromStdString(tools.harness.string()) + QLatin1Char('/');
    const QString source = QString::fromStdString(files.front().path.filename().string());
    const QString where = QString::fromStdString(folder.string());
    const std::string what = "C export on " + std::string(core) + " (" + *machine + ")";

    run("compiling the " + what, QStringLiteral("sh"), {harness + "build.sh", board, "model.o", source}, where);
    CBuildMeasurement m =
        parseSizeOutput(run("sizing the " + what, QStringLiteral("arm-none-eabi-size"), {"-A", "model.o"}, where));
    m.core = std::string(core);
    m.machine = *machine;

    run("linking the " + what, QStringLiteral("sh"),
        {harness + "build.sh", board, "model.elf", source, harness + "runner.c", harness + "psc_icount.c",
         QStringLiteral("-DPSC_INPUT_SIZE=%1").arg(inputSize), QStringLiteral("-DPSC_OUTPUT_SIZE=%1").arg(outputSize)},
        where);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("PSC_ICOUNT_OUT"), where + "/icount.txt");
    env.insert(QStringLiteral("PSC_INSN_PLUGIN"), QString::fromStdString(tools.plugin.string()));
    run("running the " + what + " on QEMU", QStringLiteral("sh"),
        {harness + "run.sh", board, "model.elf", "input.bin", "output.bin"}, where, env);
    std::ifstream counts(folder / "icount.txt");
    const std::string pluginOutput((std::istreambuf_iterator<char>(counts)), std::istreambuf_iterator<char>());
    const std::optional<std::int64_t> instructions = parseInstructionCount(pluginOutput);
    if (!instructions)
        throw RuntimeError("counting the instructions of the " + what + ": the QEMU plugin reported no region:\n" +
                           pluginOutput);
    m.instructions = *instructions;
    return m;
}

} // namespace psc
