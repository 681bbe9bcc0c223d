import type { BaseLanguageModelInput } from '@langchain/core/language_models/base';
import { type AIMessage, type BaseMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import type { Runnable } from '@langchain/core/runnables';
import type { StructuredToolInterface } from '@langchain/core/tools';

/** A bare agent loop for the model tests: invoke, run the requested tools, feed results back. */
export async function runToyLoop(
  model: Runnable<BaseLanguageModelInput, AIMessage>,
  tools: readonly StructuredToolInterface[],
  task: string | BaseMessage[],
  maxTurns = 8,
): Promise<{ messages: BaseMessage[]; answer: string; turns: number }> {
  const messages: BaseMessage[] = typeof task === 'string' ? [new HumanMessage(task)] : [...task];
  for (let turn = 1; turn <= maxTurns; turn++) {
    const reply = await model.invoke(messages);
    messages.push(reply);
    const calls = reply.tool_calls ?? [];
    if (calls.length === 0) return { messages, answer: String(reply.content), turns: turn };
    for (const call of calls) {
      const id = call.id ?? '';
      const tool = tools.find((t) => t.name === call.name);
      if (tool === undefined) {
        messages.push(
          new ToolMessage({ content: `Error: unknown tool ${call.name}`, tool_call_id: id, status: 'error' }),
        );
        continue;
      }
      try {
        const output: unknown = await tool.invoke(call.args);
        messages.push(new ToolMessage({ content: String(output), tool_call_id: id, name: call.name }));
      } catch (e) {
        const text = `Error: ${e instanceof Error ? e.message : String(e)}`;
        messages.push(new ToolMessage({ content: text, tool_call_id: id, name: call.name, status: 'error' }));
      }
    }
  }
  throw new Error(`no final answer after ${maxTurns} turns`);
}
