// Key file parser and loader: accepted layouts, every malformed case with its line number,
// and the file type, owner and mode checks.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "core/keyring.h"

namespace {

using uhc::KeyringStatus;

// Bytes 0x00 to 0x1f in hex, the same key as the pg_regress cluster's.
const std::string kKeyHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string kOtherKeyHex = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

struct Parsed {
	KeyringStatus status;
	uhc::KeyringError error;
	uhc::Keyring keyring;
};

Parsed
parse(const std::string &text)
{
	Parsed parsed;

	parsed.status = uhc::parse_keyring(text.data(), text.size(), &parsed.keyring, &parsed.error);
	return parsed;
}

TEST(KeyringParser, SingleKey)
{
	Parsed p = parse("1 " + kKeyHex + "\n");

	ASSERT_EQ(p.status, KeyringStatus::kOk);
	ASSERT_EQ(p.keyring.count, 1u);
	EXPECT_EQ(p.keyring.entries[0].version, 1u);
	for (int i = 0; i < 32; i++)
		EXPECT_EQ(p.keyring.entries[0].key[i], i) << "byte " << i;
}

TEST(KeyringParser, CommentsBlankLinesAndNoFinalNewline)
{
	Parsed p = parse("# keys for uhc_reporting\n\n   \n\t\n#2 comment\n1 " + kKeyHex);

	ASSERT_EQ(p.status, KeyringStatus::kOk);
	EXPECT_EQ(p.keyring.count, 1u);
}

TEST(KeyringParser, UpperCaseHexAccepted)
{
	std::string upper = "FFEEDDCCBBAA99887766554433221100FFEEDDCCBBAA99887766554433221100";
	Parsed p = parse("7 " + upper + "\n");

	ASSERT_EQ(p.status, KeyringStatus::kOk);
	EXPECT_EQ(p.keyring.entries[0].key[0], 0xff);
	EXPECT_EQ(p.keyring.entries[0].key[31], 0x00);
}

TEST(KeyringParser, ActiveKeyIsHighestVersion)
{
	Parsed p = parse("3 " + kOtherKeyHex + "\n10 " + kKeyHex + "\n2 " + kOtherKeyHex + "\n");

	ASSERT_EQ(p.status, KeyringStatus::kOk);
	ASSERT_EQ(p.keyring.count, 3u);

	const uhc::KeyEntry *active = uhc::active_key(p.keyring);

	ASSERT_NE(active, nullptr);
	EXPECT_EQ(active->version, 10u);
	EXPECT_EQ(active->key[1], 0x01);
	ASSERT_NE(uhc::find_key(p.keyring, 2), nullptr);
	EXPECT_EQ(uhc::find_key(p.keyring, 2)->key[0], 0xff);
	EXPECT_EQ(uhc::find_key(p.keyring, 4), nullptr);
}

TEST(KeyringParser, LargestVersionAccepted)
{
	Parsed p = parse("2147483647 " + kKeyHex + "\n");

	ASSERT_EQ(p.status, KeyringStatus::kOk);
	EXPECT_EQ(p.keyring.entries[0].version, 2147483647u);
}

TEST(KeyringParser, MalformedLinesReportLineNumber)
{
	struct Case {
		const char *name;
		std::string bad_line;
		KeyringStatus status;
	};
	const Case cases[] = {
		{"version zero", "0 " + kKeyHex, KeyringStatus::kMalformedLine},
		{"leading zero", "01 " + kKeyHex, KeyringStatus::kMalformedLine},
		{"negative version", "-1 " + kKeyHex, KeyringStatus::kMalformedLine},
		{"version above int32", "2147483648 " + kKeyHex, KeyringStatus::kMalformedLine},
		{"huge version", "99999999999999999999999 " + kKeyHex, KeyringStatus::kMalformedLine},
		{"version only", "1", KeyringStatus::kMalformedLine},
		{"key only", kKeyHex, KeyringStatus::kMalformedLine},
		{"two spaces", "1  " + kKeyHex, KeyringStatus::kMalformedLine},
		{"tab separator", "1\t" + kKeyHex, KeyringStatus::kMalformedLine},
		{"leading space", " 1 " + kKeyHex, KeyringStatus::kMalformedLine},
		{"trailing space", "1 " + kKeyHex + " ", KeyringStatus::kMalformedLine},
		{"carriage return", "1 " + kKeyHex + "\r", KeyringStatus::kMalformedLine},
		{"trailing comment", "1 " + kKeyHex + " # old", KeyringStatus::kMalformedLine},
		{"non-hex digit", "1 " + kKeyHex.substr(0, 63) + "g", KeyringStatus::kMalformedLine},
		{"NUL byte", std::string("1 \0", 3) + kKeyHex, KeyringStatus::kMalformedLine},
		{"empty key", "1 ", KeyringStatus::kWrongKeyLength},
		{"short key", "1 " + kKeyHex.substr(0, 62), KeyringStatus::kWrongKeyLength},
		{"odd length key", "1 " + kKeyHex.substr(0, 63), KeyringStatus::kWrongKeyLength},
		{"long key", "1 " + kKeyHex + "00", KeyringStatus::kWrongKeyLength},
	};

	for (const Case &c : cases)
	{
		// The bad line is line 4, after a comment, a blank line and a good key.
		Parsed p = parse("# header\n\n5 " + kOtherKeyHex + "\n" + c.bad_line + "\n");

		EXPECT_EQ(p.status, c.status) << c.name;
		EXPECT_EQ(p.error.status, c.status) << c.name;
		EXPECT_EQ(p.error.line, 4u) << c.name;
		EXPECT_EQ(p.keyring.count, 0u) << c.name;
	}
}

TEST(KeyringParser, DuplicateVersionReportsSecondLine)
{
	Parsed p = parse("1 " + kKeyHex + "\n2 " + kOtherKeyHex + "\n1 " + kOtherKeyHex + "\n");

	EXPECT_EQ(p.status, KeyringStatus::kDuplicateVersion);
	EXPECT_EQ(p.error.line, 3u);
	EXPECT_EQ(p.keyring.count, 0u);
}

TEST(KeyringParser, FailureWipesKeys)
{
	Parsed p = parse("1 " + kOtherKeyHex + "\nnot a key\n");

	ASSERT_EQ(p.status, KeyringStatus::kMalformedLine);
	for (std::size_t i = 0; i < uhc::kMasterKeyLength; i++)
		ASSERT_EQ(p.keyring.entries[0].key[i], 0) << "byte " << i;
}

TEST(KeyringParser, NoKeys)
{
	for (const std::string &text : {std::string(""), std::string("\n\n"), std::string("# only a comment\n")})
	{
		Parsed p = parse(text);

		EXPECT_EQ(p.status, KeyringStatus::kNoKeys) << "text \"" << text << "\"";
		EXPECT_EQ(p.error.line, 0u);
	}
}

TEST(KeyringParser, TooManyKeys)
{
	std::string text;

	for (std::size_t version = 1; version <= uhc::kMaxKeys + 1; version++)
		text += std::to_string(version) + " " + kKeyHex + "\n";

	Parsed p = parse(text);

	EXPECT_EQ(p.status, KeyringStatus::kTooManyKeys);
	EXPECT_EQ(p.error.line, uhc::kMaxKeys + 1);
}

// Temporary key files in a private directory, removed by the fixture.
class KeyringFile : public ::testing::Test {
protected:
	void
	SetUp() override
	{
		char pattern[] = "/tmp/uhc_keyring_test.XXXXXX";

		ASSERT_NE(mkdtemp(pattern), nullptr);
		directory_ = pattern;
		path_ = directory_ + "/keyfile";
	}

	void
	TearDown() override
	{
		unlink(path_.c_str());
		rmdir((directory_ + "/subdir").c_str());
		rmdir(directory_.c_str());
	}

	void
	write_file(const std::string &contents, mode_t mode)
	{
		unlink(path_.c_str());

		int fd = open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);

		ASSERT_GE(fd, 0);
		ASSERT_EQ(write(fd, contents.data(), contents.size()), static_cast<ssize_t>(contents.size()));
		close(fd);
		ASSERT_EQ(chmod(path_.c_str(), mode), 0);
	}

	KeyringStatus
	load(uid_t owner, uhc::KeyringError *error)
	{
		return uhc::load_keyring_file(path_.c_str(), owner, &keyring_, error);
	}

	std::string directory_;
	std::string path_;
	uhc::Keyring keyring_;
};

TEST_F(KeyringFile, Mode0600And0400Accepted)
{
	for (mode_t mode : {mode_t(0600), mode_t(0400)})
	{
		uhc::KeyringError error;

		write_file("1 " + kKeyHex + "\n", mode);
		EXPECT_EQ(load(geteuid(), &error), KeyringStatus::kOk) << std::oct << mode;
		EXPECT_EQ(keyring_.count, 1u);
	}
}

TEST_F(KeyringFile, GroupOrOtherBitsRejected)
{
	for (mode_t mode : {mode_t(0640), mode_t(0644), mode_t(0604), mode_t(0700), mode_t(0660), mode_t(04600)})
	{
		uhc::KeyringError error;

		write_file("1 " + kKeyHex + "\n", mode);
		EXPECT_EQ(load(geteuid(), &error), KeyringStatus::kWrongMode) << std::oct << mode;
		EXPECT_EQ(error.mode, static_cast<unsigned>(mode)) << std::oct << mode;
		EXPECT_EQ(keyring_.count, 0u);
	}
}

TEST_F(KeyringFile, WrongOwnerRejected)
{
	uhc::KeyringError error;

	write_file("1 " + kKeyHex + "\n", 0600);
	EXPECT_EQ(load(geteuid() + 1, &error), KeyringStatus::kWrongOwner);
}

TEST_F(KeyringFile, MissingFile)
{
	uhc::KeyringError error;

	EXPECT_EQ(load(geteuid(), &error), KeyringStatus::kFileNotFound);
	EXPECT_EQ(error.sys_errno, ENOENT);
}

TEST_F(KeyringFile, DirectoryRejected)
{
	uhc::KeyringError error;

	ASSERT_EQ(mkdir((directory_ + "/subdir").c_str(), 0700), 0);
	EXPECT_EQ(uhc::load_keyring_file((directory_ + "/subdir").c_str(), geteuid(), &keyring_, &error),
			  KeyringStatus::kNotRegularFile);
}

TEST_F(KeyringFile, UnreadableFile)
{
	if (geteuid() == 0)
		GTEST_SKIP() << "root reads a mode 0000 file, so open cannot fail with EACCES";

	uhc::KeyringError error;

	write_file("1 " + kKeyHex + "\n", 0000);
	EXPECT_EQ(load(geteuid(), &error), KeyringStatus::kOpenFailed);
	EXPECT_EQ(error.sys_errno, EACCES);
}

TEST_F(KeyringFile, OversizedFileRejected)
{
	uhc::KeyringError error;
	std::string text = "1 " + kKeyHex + "\n";

	text += "#" + std::string(uhc::kMaxKeyFileSize - text.size() - 2, 'x') + "\n";
	ASSERT_EQ(text.size(), uhc::kMaxKeyFileSize);
	write_file(text, 0600);
	EXPECT_EQ(load(geteuid(), &error), KeyringStatus::kOk);

	write_file(text + "\n", 0600);
	EXPECT_EQ(load(geteuid(), &error), KeyringStatus::kFileTooLarge);
}

TEST_F(KeyringFile, MalformedContentReportsLine)
{
	uhc::KeyringError error;

	write_file("# rotated\n1 " + kKeyHex + "\n2 " + kKeyHex.substr(0, 40) + "\n", 0600);
	EXPECT_EQ(load(geteuid(), &error), KeyringStatus::kWrongKeyLength);
	EXPECT_EQ(error.line, 3u);
}

} // namespace
