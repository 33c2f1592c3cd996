// `throng user add/list/passwd/del`: the real binary against a temporary data directory.
#include "support/server_process.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>

extern char** environ;

namespace throng::testing {
namespace {

struct CliRun {
  int status = -1;
  std::string out;
  std::string err;
};

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class UserCommand : public ::testing::Test {
 protected:
  // Runs `throng user <args...>` with `input` on stdin, in a new session (no controlling
  // terminal, so a missing --password-stdin fails instead of prompting).
  CliRun user(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {throngBinary(), "user"});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    int in_pipe[2];
    EXPECT_EQ(::pipe(in_pipe), 0);
    const auto out_path = dir_ / "out.txt";
    const auto err_path = dir_ / "err.txt";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
    posix_spawn_file_actions_addclose(&actions, in_pipe[1]);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in_pipe[0]);
    CliRun run;
    if (rc != 0) {
      ::close(in_pipe[1]);
      ADD_FAILURE() << "cannot start " << argv[0];
      return run;
    }
    // The input is a line or two: far below the pipe buffer, so this write cannot block.
    // A child that exits without reading would raise SIGPIPE here; ignore it for the write.
    struct sigaction ignore {
    }, previous{};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &previous);
    if (!input.empty()) (void)!::write(in_pipe[1], input.data(), input.size());
    ::sigaction(SIGPIPE, &previous, nullptr);
    ::close(in_pipe[1]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    run.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    run.out = readFile(out_path);
    run.err = readFile(err_path);
    return run;
  }

  std::vector<std::string> withDataDir(std::vector<std::string> args) {
    args.push_back("--data-dir");
    args.push_back(data_dir_.string());
    return args;
  }

  // The two credential columns of `name`, read straight from SQLite.
  std::pair<std::string, std::string> storedCredentials(const std::filesystem::path& db_path,
                                                        const std::string& name) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    std::pair<std::string, std::string> creds;
    if (sqlite3_prepare_v2(db, "SELECT scram_sha1, scram_sha256 FROM accounts WHERE username = ?",
                           -1, &stmt, nullptr) == SQLITE_OK) {
      sqlite3_bind_text(stmt, 1, name.c_str(), -1, SQLITE_TRANSIENT);
      if (sqlite3_step(stmt) == SQLITE_ROW) {
        creds.first = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
        creds.second = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1));
      }
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return creds;
  }

  TempDir dir_;
  std::filesystem::path data_dir_ = dir_ / "data";
};

TEST_F(UserCommand, AddListPasswdDel) {
  CliRun added = user(withDataDir({"add", "alice", "--password-stdin"}), "correct horse\n");
  ASSERT_EQ(added.status, 0) << added.err;
  EXPECT_EQ(added.out, "user alice added\n");
  EXPECT_EQ(added.out.find("correct"), std::string::npos);
  EXPECT_EQ(added.err.find("correct"), std::string::npos);

  ASSERT_EQ(user(withDataDir({"add", "bob", "--password-stdin"}), "pw\n").status, 0);
  CliRun listed = user(withDataDir({"list"}));
  ASSERT_EQ(listed.status, 0) << listed.err;
  EXPECT_EQ(listed.out, "alice\nbob\n");

  // Stored as SCRAM credentials only: "4096:salt:stored:server", never the password.
  const auto db_path = data_dir_ / "throng.db";
  const auto before = storedCredentials(db_path, "alice");
  for (const std::string& creds : {before.first, before.second}) {
    EXPECT_TRUE(creds.starts_with("4096:")) << creds;
    EXPECT_EQ(std::count(creds.begin(), creds.end(), ':'), 3) << creds;
  }
  EXPECT_NE(before.first, before.second);
  std::ifstream raw(db_path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(raw)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.find("correct horse"), std::string::npos);

  CliRun changed = user(withDataDir({"passwd", "alice", "--password-stdin"}), "battery staple\n");
  ASSERT_EQ(changed.status, 0) << changed.err;
  EXPECT_EQ(changed.out, "password of alice changed\n");
  const auto after = storedCredentials(db_path, "alice");
  EXPECT_NE(after.first, before.first);
  EXPECT_NE(after.second, before.second);

  CliRun deleted = user(withDataDir({"del", "alice"}));
  ASSERT_EQ(deleted.status, 0) << deleted.err;
  EXPECT_EQ(deleted.out, "user alice deleted\n");
  EXPECT_EQ(user(withDataDir({"list"})).out, "bob\n");
}

TEST_F(UserCommand, ExistingAndMissingUsersFail) {
  ASSERT_EQ(user(withDataDir({"add", "alice", "--password-stdin"}), "pw\n").status, 0);
  CliRun again = user(withDataDir({"add", "alice", "--password-stdin"}), "pw\n");
  EXPECT_EQ(again.status, 1);
  EXPECT_NE(again.err.find("user 'alice' already exists"), std::string::npos) << again.err;

  const CliRun passwd = user(withDataDir({"passwd", "carol", "--password-stdin"}), "pw\n");
  const CliRun del = user(withDataDir({"del", "carol"}));
  for (const CliRun& missing : {passwd, del}) {
    EXPECT_EQ(missing.status, 1);
    EXPECT_NE(missing.err.find("user 'carol' does not exist"), std::string::npos) << missing.err;
  }
}

TEST_F(UserCommand, InvalidNamesNameTheRule) {
  for (const char* name : {"Alice", "a b", "caf\xC3\xA9", "al@ice"}) {
    CliRun run = user(withDataDir({"add", name, "--password-stdin"}), "pw\n");
    EXPECT_EQ(run.status, 1) << name;
    EXPECT_NE(run.err.find("lowercase a-z, 0-9, '.', '_' and '-'"), std::string::npos) << run.err;
  }
  CliRun too_long = user(withDataDir({"add", std::string(65, 'a'), "--password-stdin"}), "pw\n");
  EXPECT_EQ(too_long.status, 1);
  EXPECT_NE(too_long.err.find("1..64"), std::string::npos) << too_long.err;
  EXPECT_FALSE(std::filesystem::exists(data_dir_ / "throng.db"));
}

TEST_F(UserCommand, BadPasswordsAreRefused) {
  CliRun empty = user(withDataDir({"add", "alice", "--password-stdin"}), "\n");
  EXPECT_EQ(empty.status, 1);
  EXPECT_NE(empty.err.find("must not be empty"), std::string::npos) << empty.err;
  CliRun eof = user(withDataDir({"add", "alice", "--password-stdin"}), "");
  EXPECT_EQ(eof.status, 1);
  CliRun control = user(withDataDir({"add", "alice", "--password-stdin"}), "tab\there\n");
  EXPECT_EQ(control.status, 1);
  EXPECT_NE(control.err.find("control characters"), std::string::npos) << control.err;
  EXPECT_EQ(control.err.find("tab"), std::string::npos);  // the password is never echoed
  EXPECT_EQ(user(withDataDir({"list"})).out, "");
}

TEST_F(UserCommand, WithoutPasswordStdinNeedsATerminal) {
  CliRun run = user(withDataDir({"add", "alice"}), "pw\n");
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.err.find("--password-stdin"), std::string::npos) << run.err;
}

TEST_F(UserCommand, ListOnAMissingDataDirIsEmptyAndCreatesNothing) {
  CliRun run = user(withDataDir({"list"}));
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, "");
  EXPECT_FALSE(std::filesystem::exists(data_dir_));
}

TEST_F(UserCommand, ConfigFileGivesTheDataDirectoryAndStoragePath) {
  const auto other_dir = dir_ / "from-config";
  const auto db_path = dir_ / "elsewhere.db";
  {
    std::ofstream toml(dir_ / "throng.toml");
    toml << "[server]\ndata_dir = \"" << other_dir.string() << "\"\n"
         << "[storage]\npath = \"" << db_path.string() << "\"\n";
  }
  const std::string config = (dir_ / "throng.toml").string();
  CliRun added = user({"add", "dana", "--config", config, "--password-stdin"}, "pw\n");
  ASSERT_EQ(added.status, 0) << added.err;
  EXPECT_TRUE(std::filesystem::exists(db_path));
  EXPECT_EQ(user({"list", "--config", config}).out, "dana\n");
  EXPECT_FALSE(storedCredentials(db_path, "dana").second.empty());
}

}  // namespace
}  // namespace throng::testing
