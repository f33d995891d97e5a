using Wuerstchen.Tensors;

namespace Wuerstchen.Pipelines;

/// <summary>
/// The text conditioning of one stage (SPEC §5.1, diffusers <c>encode_prompt</c>): the prompts' last hidden
/// states, one row per sample, followed under classifier-free guidance by the negative prompts' rows in the same
/// order — <c>[cond; uncond]</c>, conditional first.
/// </summary>
internal static class PromptConditioning
{
    /// <summary>
    /// The unconditional prompts: <c>""</c> for every prompt when none are given, else exactly one per prompt.
    /// diffusers wraps a single string in a list and raises unless the negative list has the prompts' length;
    /// with lists on both sides that is the whole of its "same type" rule.
    /// </summary>
    public static IReadOnlyList<string> NegativePrompts(int promptCount, IReadOnlyList<string>? negativePrompts)
    {
        if (negativePrompts == null) return Enumerable.Repeat("", promptCount).ToArray();
        if (negativePrompts.Count != promptCount)
            throw new ArgumentException(
                $"Got {negativePrompts.Count} negative prompt(s) for {promptCount} prompt(s); give one negative prompt per prompt (or none).",
                nameof(negativePrompts));
        return negativePrompts;
    }

    /// <summary>
    /// Builds <c>text_encoder_hidden_states</c>: row k of each half uses prompt <c>rowToPrompt[k]</c>.
    /// Either texts or precomputed embeddings (<c>prompt_embeds</c>, <c>negative_prompt_embeds</c>) may be given;
    /// the encoder is asked only for what is missing.
    /// </summary>
    public static Tensor Build(
        IPromptEncoder? encoder,
        IReadOnlyList<string>? prompts,
        Tensor? promptEmbeds,
        IReadOnlyList<string>? negativePrompts,
        Tensor? negativePromptEmbeds,
        bool guided,
        ReadOnlySpan<int> rowToPrompt,
        Action<string> warn)
    {
        int promptCount = prompts?.Count ?? promptEmbeds?.Size(0)
            ?? throw new ArgumentException("Give prompts or prompt embeddings.");
        Tensor? encodedCond = null, encodedUncond = null;
        try
        {
            var cond = promptEmbeds ?? (encodedCond = Encode(encoder, prompts!, warn));
            CheckEmbeds(cond, promptCount, "prompt embeddings");
            using var condRows = BatchRows.Take(cond, rowToPrompt);
            if (!guided) return condRows.Clone();

            var uncond = negativePromptEmbeds ?? (encodedUncond = Encode(encoder, NegativePrompts(promptCount, negativePrompts), warn));
            CheckEmbeds(uncond, promptCount, "negative prompt embeddings");
            if (!uncond.Shape.SequenceEqual(cond.Shape))
                throw new ArgumentException($"Negative prompt embeddings {uncond} do not match the prompt embeddings {cond}.");
            using var uncondRows = BatchRows.Take(uncond, rowToPrompt);
            return BatchRows.Concat(condRows, uncondRows);
        }
        finally
        {
            encodedCond?.Dispose();
            encodedUncond?.Dispose();
        }
    }

    private static Tensor Encode(IPromptEncoder? encoder, IReadOnlyList<string> prompts, Action<string> warn)
    {
        if (encoder == null) throw new InvalidOperationException("Prompt text given but no text encoder is available.");
        return encoder.Encode(prompts, removed => warn(
            $"This part of a prompt was cut off because CLIP reads at most 77 tokens: \"{removed}\""));
    }

    private static void CheckEmbeds(Tensor embeds, int promptCount, string what)
    {
        if (embeds.Rank != 3 || embeds.Size(0) != promptCount)
            throw new ArgumentException($"Expected {what} [{promptCount}, 77, hidden], got {embeds}.");
    }
}
