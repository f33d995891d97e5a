using Wuerstchen.Tensors;

namespace Wuerstchen.Pipelines;

/// <summary>Stage B as the decoder pipeline uses it: <c>WuerstchenDiffNeXt.forward(x, r, effnet, clip)</c>, ε-prediction.</summary>
public interface IDecoderModel : IDisposable
{
    /// <summary>Channels of the Stage B latent (4; diffusers hard-codes it, it equals config <c>c_in</c>).</summary>
    int LatentChannels { get; }

    /// <summary>x [B, 4, H, W], r [B], effnet [B, 16, h, w] (Stage C image embeddings), clip [B, 77, clip_embd] → ε̂ [B, 4, H, W].</summary>
    Tensor Forward(Tensor x, Tensor r, Tensor effnet, Tensor clip);

    /// <summary>
    /// Binds the image embeddings and the text conditioning for a whole sampling loop, so that a model can compute
    /// its step-invariant part once. The default forwards them at every step.
    /// </summary>
    IConditionedDecoder Condition(Tensor effnet, Tensor clip) => new ConditionEveryStep(this, effnet, clip);

    private sealed class ConditionEveryStep(IDecoderModel model, Tensor effnet, Tensor clip) : IConditionedDecoder
    {
        public Tensor Forward(Tensor x, Tensor r) => model.Forward(x, r, effnet, clip);

        public void Dispose() { }
    }
}

/// <summary>Stage B with its conditioning bound (<see cref="IDecoderModel.Condition"/>): x [B, 4, H, W], r [B] → ε̂.</summary>
public interface IConditionedDecoder : IDisposable
{
    Tensor Forward(Tensor x, Tensor r);
}
