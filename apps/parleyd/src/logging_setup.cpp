#include "logging_setup.h"

#include "journal_formatter.h"

#include <parley/parleyd/config_error.h>

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/FileChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/PatternFormatter.h>
#include <Poco/SplitterChannel.h>

#include <fstream>

namespace parley::parleyd {

void configureLogging(const std::string& level, const std::filesystem::path& file)
{
    Poco::AutoPtr<Poco::SplitterChannel> splitter(new Poco::SplitterChannel);
    splitter->addChannel(new Poco::ConsoleChannel);
    if (!file.empty()) {
        // FileChannel opens lazily and would fail on the first message; check now so the
        // administrator hears about it at start-up, naming the key.
        std::ofstream probe(file, std::ios::app);
        if (!probe)
            throw ConfigError("configuration key 'log.file' names " + file.string() +
                              ", which cannot be opened for appending");
        Poco::AutoPtr<Poco::FileChannel> fileChannel(new Poco::FileChannel(file.string()));
        fileChannel->setProperty("flush", "true");
        splitter->addChannel(fileChannel);
    }
    Poco::AutoPtr<Poco::Formatter> formatter;
    if (outputGoesToJournal() && file.empty()) {
        formatter = new JournalFormatter;
    }
    else {
        Poco::AutoPtr<Poco::PatternFormatter> pattern(new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%S.%iZ %p %s: %t"));
        pattern->setProperty("times", "UTC");
        formatter = pattern;
    }
    Poco::AutoPtr<Poco::FormattingChannel> channel(
        new Poco::FormattingChannel(formatter, splitter));

    Poco::Logger::root().setChannel(channel);
    // setLevel with an empty prefix reaches loggers created before this call too.
    Poco::Logger::setLevel("", Poco::Logger::parseLevel(level));
    Poco::Logger::setChannel("", channel);
}

} // namespace parley::parleyd
