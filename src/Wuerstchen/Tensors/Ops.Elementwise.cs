namespace Wuerstchen.Tensors;

/// <summary>
/// Tensor-level operations with torch semantics. Inputs may be strided views unless stated;
/// outputs are new contiguous tensors. Shapes are validated with errors naming the op and shapes.
/// </summary>
public static partial class Ops
{
    // Binary ops broadcast like torch.
    public static Tensor Add(Tensor a, Tensor b) => throw new NotImplementedException();
    public static Tensor Sub(Tensor a, Tensor b) => throw new NotImplementedException();
    public static Tensor Mul(Tensor a, Tensor b) => throw new NotImplementedException();
    public static Tensor Div(Tensor a, Tensor b) => throw new NotImplementedException();
    public static Tensor Add(Tensor a, float b) => throw new NotImplementedException();
    public static Tensor Mul(Tensor a, float b) => throw new NotImplementedException();

    /// <summary>a += b in place (a contiguous; b broadcast to a's shape). Used for residuals.</summary>
    public static void AddInPlace(Tensor a, Tensor b) => throw new NotImplementedException();
    /// <summary>a *= s in place.</summary>
    public static void MulInPlace(Tensor a, float s) => throw new NotImplementedException();

    /// <summary>torch.lerp(start, end, weight) with torch's two-form evaluation (weight &lt; 0.5: start + w·(end−start); else end − (end−start)·(1−w)).</summary>
    public static Tensor Lerp(Tensor start, Tensor end, float weight) => throw new NotImplementedException();

    public static Tensor Clamp(Tensor x, float min, float max) => throw new NotImplementedException();
    public static Tensor Abs(Tensor x) => throw new NotImplementedException();
    public static Tensor Neg(Tensor x) => throw new NotImplementedException();
    public static Tensor Sqrt(Tensor x) => throw new NotImplementedException();
    public static Tensor Exp(Tensor x) => throw new NotImplementedException();
    public static Tensor Square(Tensor x) => throw new NotImplementedException();

    // Activations.
    /// <summary>Exact GELU 0.5·x·(1 + erf(x/√2)) (torch default).</summary>
    public static Tensor Gelu(Tensor x) => throw new NotImplementedException();
    /// <summary>GELU, tanh approximation (torch approximate='tanh').</summary>
    public static Tensor GeluTanh(Tensor x) => throw new NotImplementedException();
    public static Tensor Silu(Tensor x) => throw new NotImplementedException();
    public static Tensor LeakyRelu(Tensor x, float negativeSlope) => throw new NotImplementedException();
    public static Tensor Relu(Tensor x) => throw new NotImplementedException();
    public static Tensor Sigmoid(Tensor x) => throw new NotImplementedException();
    public static Tensor Tanh(Tensor x) => throw new NotImplementedException();
}
