import streamlit as st

st.title("Sectors")
st.info("This page is being built.")
