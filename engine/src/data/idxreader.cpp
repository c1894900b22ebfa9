// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/data/dataset.h"

#include "psc/core/error.h"

#include <zlib.h>

#include <cstdlib>
#include <memory>

namespace psc {
namespace {

/** Reads a whole file, inflating it if it is gzip-compressed (gzread passes plain files through). */
std::vector<std::uint8_t> readMaybeGzip(const std::filesystem::path &file)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec))
        throw InputError(file.string() + ": dataset file not found (expected an IDX file, optionally .gz; "
                                         "install the Debian package dataset-fashion-mnist or set the task path)");
    std::unique_ptr<gzFile_s, decltype(&gzclose)> gz(gzopen(file.c_str(), "rb"), &gzclose);
    if (!gz)
        throw InputError(file.string() + ": cannot open for reading");
    gzbuffer(gz.get(), 1 << 17);
    std::vector<std::uint8_t> out;
    std::uint8_t chunk[1 << 16];
    for (;;) {
        const int n = gzread(gz.get(), chunk, sizeof chunk);
        if (n < 0) {
            int err = 0;
            throw InputError(file.string() + ": corrupt gzip stream (" + gzerror(gz.get(), &err) + ")");
        }
        if (n == 0)
            break;
        out.insert(out.end(), chunk, chunk + n);
    }
    return out;
}

std::uint32_t bigEndian32(const std::vector<std::uint8_t> &bytes, std::size_t offset)
{
    return (std::uint32_t(bytes[offset]) << 24) | (std::uint32_t(bytes[offset + 1]) << 16) |
           (std::uint32_t(bytes[offset + 2]) << 8) | std::uint32_t(bytes[offset + 3]);
}

/** Parses an IDX header of unsigned bytes with `expectedDims` dimensions; returns the dimension sizes. */
std::vector<std::uint32_t> idxHeader(const std::vector<std::uint8_t> &bytes, const std::filesystem::path &file,
                                     int expectedDims)
{
    const std::uint32_t expectedMagic = 0x0800u | std::uint32_t(expectedDims);
    if (bytes.size() < 4 || bigEndian32(bytes, 0) != expectedMagic) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "0x%08X", unsigned(expectedMagic));
        throw InputError(file.string() + ": not an IDX file of unsigned bytes with " + std::to_string(expectedDims) +
                         " dimension(s) (expected magic number " + buf + ")");
    }
    const std::size_t headerSize = 4 + 4 * std::size_t(expectedDims);
    if (bytes.size() < headerSize)
        throw InputError(file.string() + ": truncated IDX header");
    std::vector<std::uint32_t> dims;
    std::size_t total = 1;
    for (int i = 0; i < expectedDims; ++i) {
        dims.push_back(bigEndian32(bytes, 4 + 4 * std::size_t(i)));
        total *= dims.back();
    }
    if (bytes.size() != headerSize + total)
        throw InputError(file.string() + ": IDX payload has " + std::to_string(bytes.size() - headerSize) +
                         " bytes, header announces " + std::to_string(total));
    return dims;
}

} // namespace

std::filesystem::path defaultFashionMnistDir()
{
    if (const char *env = std::getenv("PSC_FASHION_MNIST_DIR"); env && *env)
        return env;
    return "/usr/share/datasets/fashion-mnist";
}

ImageSet readIdxImages(const std::filesystem::path &images, const std::filesystem::path &labels)
{
    auto imageBytes = readMaybeGzip(images);
    const auto imageDims = idxHeader(imageBytes, images, 3);
    auto labelBytes = readMaybeGzip(labels);
    const auto labelDims = idxHeader(labelBytes, labels, 1);
    if (labelDims[0] != imageDims[0])
        throw InputError(labels.string() + ": has " + std::to_string(labelDims[0]) + " labels but " + images.string() +
                         " has " + std::to_string(imageDims[0]) + " images");

    ImageSet set;
    set.count = int(imageDims[0]);
    set.channels = 1;
    set.height = int(imageDims[1]);
    set.width = int(imageDims[2]);
    set.pixels.assign(imageBytes.begin() + 16, imageBytes.end());
    set.labels.assign(labelBytes.begin() + 8, labelBytes.end());
    return set;
}

Dataset loadFashionMnist(const std::filesystem::path &dir)
{
    auto pick = [&dir](const std::string &stem) {
        const auto gz = dir / (stem + ".gz");
        return std::filesystem::exists(gz) ? gz : dir / stem;
    };
    Dataset data;
    data.name = "fashion-mnist";
    data.numClasses = 10;
    data.train = readIdxImages(pick("train-images-idx3-ubyte"), pick("train-labels-idx1-ubyte"));
    data.test = readIdxImages(pick("t10k-images-idx3-ubyte"), pick("t10k-labels-idx1-ubyte"));
    for (const ImageSet *set : {&data.train, &data.test})
        for (std::uint8_t label : set->labels)
            if (label >= data.numClasses)
                throw InputError(dir.string() + ": label " + std::to_string(label) + " out of range 0..9");
    return data;
}

} // namespace psc
