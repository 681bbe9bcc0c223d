import { describe, expect, it } from 'vitest';
import { toolWords } from '../../src/capabilities/capabilityMatchers.js';
import {
  availableCapabilities,
  detectCapabilities,
  requiredCapabilities,
} from '../../src/capabilities/detectCapabilities.js';

// Tool names as real servers name them (server-filesystem and server-memory from node_modules).
const filesystem = ['read_text_file', 'write_file', 'list_directory', 'search_files', 'get_file_info'].map(
  (t) => `filesystem__${t}`,
);
const memory = ['create_entities', 'read_graph', 'search_nodes'].map((t) => `memory__${t}`);

describe('detectCapabilities', () => {
  it('maps each built-in capability to the live tools that provide it', () => {
    const map = detectCapabilities([
      ...filesystem,
      ...memory,
      'github__create_issue',
      'brave-search__brave_web_search',
    ]);
    expect(map.filesystem).toEqual(filesystem);
    expect(map.github).toEqual(['github__create_issue']);
    expect(map.search).toEqual(['brave-search__brave_web_search']);
    expect(map.database).toEqual([]);
    expect(availableCapabilities(map)).toEqual(['filesystem', 'github', 'search']);
  });

  it('matches whole words, not substrings (the guide counted "profile" as a file tool)', () => {
    expect(toolWords('github__createPullRequest')).toEqual(['github', 'create', 'pull', 'request']);
    const map = detectCapabilities(['users__get_profile', 'feedback__dbg_dump', 'memory__search_nodes']);
    expect(availableCapabilities(map)).toEqual([]);
    expect(detectCapabilities(['pg__run_sql', 'search__query']).database).toEqual([
      'pg__run_sql',
      'search__query',
    ]);
    expect(detectCapabilities(['search__query']).search).toEqual(['search__query']);
  });

  it('adds user matchers (RegExp, predicate, definition) and lets them replace a built-in', () => {
    const map = detectCapabilities([...memory, 'files__echo'], {
      memory: /^memory__/,
      echo: (tool) => tool.endsWith('__echo'),
      filesystem: { tools: /^files__/ },
    });
    expect(map.memory).toEqual(memory);
    expect(map.echo).toEqual(['files__echo']);
    expect(map.filesystem).toEqual(['files__echo']);
  });
});

describe('requiredCapabilities', () => {
  it('reads what a task needs from whole words', () => {
    expect(requiredCapabilities('Search and save results to file')).toEqual(['filesystem', 'search']);
    expect(requiredCapabilities('Run a SQL query on the orders table')).toEqual(['database']);
    expect(requiredCapabilities('Open an issue in the repo')).toEqual(['github']);
    expect(requiredCapabilities('Summarize this thread; find the main point')).toEqual([]);
  });

  it('uses task matchers of user capabilities; a tools-only matcher is never required', () => {
    const matchers = { memory: { tools: /^memory__/, task: /\b(remember|recall)\b/i }, echo: /__echo$/ };
    expect(requiredCapabilities('Recall what you know', matchers)).toEqual(['memory']);
    expect(requiredCapabilities('echo this', matchers)).toEqual([]);
  });
});
