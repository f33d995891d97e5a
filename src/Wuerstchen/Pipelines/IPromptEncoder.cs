using Wuerstchen.Tensors;

namespace Wuerstchen.Pipelines;

/// <summary>
/// Tokenizer + CLIP text model of one stage: prompts → <c>last_hidden_state</c> [B, 77, hidden], computed with the
/// padding attention mask exactly as the diffusers pipelines call the text encoder (SPEC §5.1).
/// </summary>
public interface IPromptEncoder : IDisposable
{
    /// <summary>Encodes the prompts as one batch. <paramref name="onTruncated"/> receives the cut-off text of each prompt longer than 77 tokens.</summary>
    Tensor Encode(IReadOnlyList<string> prompts, Action<string>? onTruncated = null);
}
