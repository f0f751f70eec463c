#include "logging_setup.h"

#include "journal_stream.h"

#include <parley/log/event_formatter.h>
#include <parley/parleyd/config_error.h>

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/Exception.h>
#include <Poco/FileChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
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
    const auto style = outputGoesToJournal() && file.empty() ? log::EventFormatter::Style::Journal
                                                             : log::EventFormatter::Style::Timestamped;
    Poco::AutoPtr<Poco::Formatter> formatter(new log::EventFormatter(style));
    Poco::AutoPtr<Poco::FormattingChannel> channel(new Poco::FormattingChannel(formatter, splitter));

    Poco::Logger::root().setChannel(channel);
    setLogLevel(level);
    Poco::Logger::setChannel("", channel);
}

void setLogLevel(const std::string& level)
{
    int parsed = 0;
    try {
        parsed = Poco::Logger::parseLevel(level);
    }
    catch (const Poco::InvalidArgumentException&) {
        throw ConfigError("configuration key 'log.level' has the value '" + level + "', which is not a level");
    }
    // setLevel with an empty prefix reaches loggers created before this call too.
    Poco::Logger::setLevel("", parsed);
}

} // namespace parley::parleyd
