namespace Wuerstchen.Tensors;

public static partial class Ops
{
    /// <summary>torch.nn.functional.linear: y[..., out] = x[..., in] · Wᵀ + b, W stored [out, in].</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null) => throw new NotImplementedException();

    /// <summary>torch.matmul for rank ≥ 2 operands with broadcast batch dims: [..., M, K] @ [..., K, N].</summary>
    public static Tensor MatMul(Tensor a, Tensor b) => throw new NotImplementedException();
}
