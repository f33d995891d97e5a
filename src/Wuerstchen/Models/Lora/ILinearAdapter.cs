using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Lora;

/// <summary>Something added to a <see cref="Nn.Linear"/> layer's output (a LoRA): the hook <c>Linear.Forward</c> calls when set.</summary>
public interface ILinearAdapter
{
    /// <summary>
    /// The adapted output for input <paramref name="x"/> [..., in] given the base output <paramref name="y"/> = W x + b
    /// [..., out]. Takes ownership of <paramref name="y"/> (returns it, or a new tensor after disposing it).
    /// </summary>
    Tensor Forward(Tensor x, Tensor y);
}
